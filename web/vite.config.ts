import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The web client lives in web/; `npm run build` puts it in web/dist, which the server serves at /.
const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
  },
  server: {
    // `npx vite --config web/vite.config.ts` during development talks to a server on PORT 3100 (or MAILTRAIL_API).
    proxy: { '/api': process.env.MAILTRAIL_API ?? 'http://127.0.0.1:3100' },
  },
});
