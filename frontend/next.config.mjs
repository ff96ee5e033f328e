// Plain ESM (not next.config.ts) so the standalone server does not need TypeScript at run time.

/** @type {import("next").NextConfig} */
const nextConfig = {
  // The container image ships only the self-contained server (.next/standalone).
  output: "standalone",
  // Lint and type checks run as their own steps (npm run lint / typecheck); skipping them
  // here keeps the image build to one job and free of dev-only tooling surprises.
  eslint: { ignoreDuringBuilds: true },
  poweredByHeader: false,
  reactStrictMode: true,
  async headers() {
    return [
      {
        source: "/:path*",
        headers: [
          { key: "X-Content-Type-Options", value: "nosniff" },
          { key: "Referrer-Policy", value: "same-origin" },
          { key: "X-Frame-Options", value: "DENY" },
        ],
      },
    ];
  },
};

export default nextConfig;
