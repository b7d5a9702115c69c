import { JupyterFrontEnd } from '@jupyterlab/application';
import { IFileBrowserFactory } from '@jupyterlab/filebrowser';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import { Widget } from '@lumino/widgets';

/**
 * Where the Share… command was invoked from (its `args`, set in schema/plugin.json
 * and by JupyterLab's toolbar).
 */
export interface IShareArgs extends ReadonlyPartialJSONObject {
  /**
   * An explicit path to share.
   */
  path?: string;
  /**
   * `filebrowser`: the file browser's context menu.
   */
  source?: string;
  /**
   * Set by JupyterLab on commands run from a toolbar button.
   */
  toolbar?: boolean;
}

/**
 * The path of the file a widget shows, if it is a document.
 */
function documentPath(widget: Widget | null): string | null {
  const path = (widget as any)?.context?.path;
  return typeof path === 'string' && path ? path : null;
}

/**
 * The file to share: the explicit `path`; else, from the file browser's context
 * menu, the file right-clicked there (it is selected); else the current document
 * (the notebook whose toolbar or File menu was used).
 */
export function sharePath(
  app: JupyterFrontEnd,
  browsers: IFileBrowserFactory | null,
  args: IShareArgs
): string | null {
  if (typeof args.path === 'string' && args.path) {
    return args.path;
  }
  if (args.source === 'filebrowser') {
    const browser = browsers?.tracker.currentWidget ?? null;
    for (const item of browser?.selectedItems() ?? []) {
      if (item.type !== 'directory') {
        return item.path;
      }
    }
    return null;
  }
  return documentPath(app.shell.currentWidget);
}
