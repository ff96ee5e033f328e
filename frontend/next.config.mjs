// Plain ESM (not next.config.ts) so the standalone server does not need TypeScript at run time.

// The browser may talk only to this origin (connect-src 'self'): the backend is reached
// through /api/* alone. Next.js inlines its bootstrap scripts, hence 'unsafe-inline';
// the dev server's fast refresh also needs 'unsafe-eval'.
const dev = process.env.NODE_ENV !== "production";
const csp = [
  "default-src 'self'",
  `script-src 'self' 'unsafe-inline'${dev ? " 'unsafe-eval'" : ""}`,
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/** @type {import("next").NextConfig} */
const nextConfig = {
  // The container image ships only the self-contained server (.next/standalone).
  output: "standalone",
  // Lint and type checks run as their own steps (npm run lint / typecheck); skipping them
  // here keeps the image build to one job and free of dev-only tooling surprises.
  eslint: { ignoreDuringBuilds: true },
  // The app uses no next/image, so no image optimizer: this keeps sharp and its native
  // libvips (~19 MB) out of the standalone trace. TypeScript is traced only for loading a
  // next.config.ts, which the standalone server never does (its config is inlined).
  images: { unoptimized: true },
  outputFileTracingExcludes: {
    "*": ["node_modules/sharp/**", "node_modules/@img/**", "node_modules/typescript/**"],
  },
  // prom-client is loaded from node_modules, not bundled: the instrumentation hook (which
  // serves /metrics) and the route handlers (which count) are separate bundles and must share
  // one registry.
  serverExternalPackages: ["prom-client"],
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
          { key: "Content-Security-Policy", value: csp },
        ],
      },
    ];
  },
};

export default nextConfig;
