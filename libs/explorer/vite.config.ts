import { defineConfig } from 'vite';

// The app is served by query-api at `/` (see services/query-api/src/routes/explorer.ts), which
// reads dist/app. `pnpm --filter @ep/explorer dev` proxies the API to a local query-api.
export default defineConfig({
  base: '/',
  build: { outDir: 'dist/app', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 200 },
  server: {
    proxy: Object.fromEntries(
      ['/api', '/docs', '/upload'].map((p) => [p, process.env.EP_QUERY_API_URL ?? 'http://127.0.0.1:8080']),
    ),
  },
});
