// Builds the UI into renderer/dist (served by `iommu-lab serve` and loaded by
// the desktop shell) and runs its component tests in jsdom.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { svelteTesting } from '@testing-library/svelte/vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  // Relative asset URLs: the same build loads from file:// (desktop) and http:// (serve).
  base: './',
  plugins: [svelte({ configFile: false }), svelteTesting()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Everything in files: the page's CSP allows script-src 'self' only.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 1200,
  },
  server: { fs: { allow: [fileURLToPath(new URL('..', import.meta.url))] } },
  test: {
    root,
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
  },
});
