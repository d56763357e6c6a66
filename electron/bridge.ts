// What the desktop shell's preload exposes to the page as `window.iommuLab`.
// Type-only: the renderer may `import type` it without loading anything.
//
// The service itself does not go through this bridge: contextBridge cannot
// carry a MessagePort, so the preload forwards the port with
// `window.postMessage(SERVICE_PORT_MESSAGE, '*', [port])` once the page has
// loaded (and again after each reload). The page listens for a `message`
// event whose `data` is SERVICE_PORT_MESSAGE, `source` is its own window,
// and takes `ports[0]`: a MessagePort speaking the wire messages of
// service/protocol/index.ts as structured-clone objects.
import type { CommandId } from '../renderer/src/lib/commands.ts';

/** `data` of the window message that carries the service port. */
export type ServicePortMessage = 'iommu-lab:service-port';

/**
 * What the application menu asks the page to do; the shell has already shown
 * any native dialog. A command runs in the page as its own key or button would
 * (renderer/src/lib/commands.ts is the one list behind both). An import needs
 * the user's choices (which benchmark, what context), so the page gets the
 * picked files' text and calls `measurements.import` once per file.
 */
export type MenuCommand =
  | { kind: 'command'; id: CommandId }
  | { kind: 'import'; files: { fileName: string; text: string }[] };

export interface IommuLabBridge {
  /** `process.platform` of the desktop shell, for platform wording (Cmd vs Ctrl). */
  readonly platform: string;
  /** Calls `listener` for each menu command; returns a function that stops listening. */
  onMenu(listener: (command: MenuCommand) => void): () => void;
}

/** IPC channel names shared by main and preload (main to page only: the page sends nothing over IPC). */
export type IpcChannel = 'service-port' | 'menu';
