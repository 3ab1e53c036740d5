import "@testing-library/jest-dom/vitest";
import { cleanup } from "@testing-library/svelte";
import { clearMocks } from "@tauri-apps/api/mocks";
import { afterEach } from "vitest";

// jsdom lays nothing out, so it has no ResizeObserver; Svelte's size bindings need one to mount.
globalThis.ResizeObserver ??= class {
  observe() {}
  unobserve() {}
  disconnect() {}
};

afterEach(async () => {
  cleanup();
  // Unmounting unlistens asynchronously through the IPC mock; let that finish first.
  await new Promise((resolve) => setTimeout(resolve));
  clearMocks();
});
