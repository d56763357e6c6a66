// Sandboxed preload: the page's only door to the shell. It loads nothing but
// `electron` (sandboxed preloads cannot load Node modules) and exposes a tiny
// surface; the service is reached through a MessagePort, not through here.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { IommuLabBridge, IpcChannel, MenuCommand, ServicePortMessage } from './bridge.ts';

const SERVICE_PORT: ServicePortMessage = 'iommu-lab:service-port';
const channel = (name: IpcChannel): IpcChannel => name;

// contextBridge cannot pass a MessagePort, so it goes to the page by
// window.postMessage with transfer. Only our own page is ever loaded (main
// refuses any navigation away from app://), so '*' cannot reach a stranger.
ipcRenderer.on(channel('service-port'), (event: IpcRendererEvent) => {
  window.postMessage(SERVICE_PORT, '*', event.ports);
});

const bridge: IommuLabBridge = {
  platform: process.platform,
  onMenu(listener) {
    // The IPC event object stays here: the page only sees the command.
    const forward = (_event: IpcRendererEvent, command: MenuCommand): void => listener(command);
    ipcRenderer.on(channel('menu'), forward);
    return () => {
      ipcRenderer.off(channel('menu'), forward);
    };
  },
};

contextBridge.exposeInMainWorld('iommuLab', bridge);
