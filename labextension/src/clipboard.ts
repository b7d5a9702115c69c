import { Clipboard } from '@jupyterlab/apputils';

/**
 * Put text on the system clipboard.
 */
export async function copyText(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // older browsers, insecure origins: a hidden text area and execCommand
    Clipboard.copyToSystem(text);
  }
}
