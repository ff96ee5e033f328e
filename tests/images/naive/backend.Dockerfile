# The seed plan's naive backend image, kept only as the benchmark's baseline
# (bench/images.sh): one stage, the whole context copied before the dependencies are
# installed, so any source change reinstalls them, and pip's cache stays in the image.
# The venv is only there because Debian's python3 (the stand-in base) refuses a system-wide
# pip install (PEP 668).
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE}
WORKDIR /app
COPY . .
RUN python3 -m venv /opt/venv && /opt/venv/bin/pip install -r requirements.txt
ENV PATH=/opt/venv/bin:$PATH
EXPOSE 8000
CMD ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8000"]
