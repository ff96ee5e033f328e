# The seed plan's naive frontend image, kept only as the benchmark's baseline
# (bench/images.sh): one stage, the whole context copied before `npm ci`, so any source
# change reinstalls every package, and the full dev+prod node_modules, the sources and the
# build cache all ship in the image.
ARG BASE_IMAGE=node:18-alpine
FROM ${BASE_IMAGE}
WORKDIR /app
COPY . .
RUN npm ci && npm run build
EXPOSE 3000
CMD ["npm", "start"]
