// Builds bench/ipc-shim.ts as one classic script: `npx vite build --config bench/vite.shim.config.ts --outDir DIR`.
import { defineConfig } from "vite";

export default defineConfig({
  build: {
    target: "safari15",
    emptyOutDir: true,
    lib: { entry: "bench/ipc-shim.ts", formats: ["iife"], name: "SparkdeckIpcShim", fileName: () => "ipc-shim.js" },
  },
});
