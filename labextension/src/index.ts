/**
 * nbshelf "Share…": share a notebook or file by link from JupyterLab or Notebook 7.
 *
 * This plugin registers one command, `nbshelf:share`; where it appears (the File
 * menu, the file browser's context menu, the notebook toolbar) is declared in
 * schema/plugin.json. The command opens the Share… dialog (dialog.ts), which
 * calls nbshelf's REST API (shares.ts, handler.ts). Every token but the
 * application is optional, so Notebook 7 (tree and notebook pages) loads it too.
 */
import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { showErrorMessage } from '@jupyterlab/apputils';
import { IFileBrowserFactory } from '@jupyterlab/filebrowser';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { shareIcon } from '@jupyterlab/ui-components';

import { SharesAPI } from './shares';
import { IShareArgs, sharePath } from './target';

/**
 * The command ids of this extension.
 */
export namespace CommandIDs {
  export const share = 'nbshelf:share';
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: '@nbshelf/share:plugin',
  description: 'Share notebooks by link (nbshelf).',
  autoStart: true,
  optional: [ITranslator, IFileBrowserFactory],
  activate: (
    app: JupyterFrontEnd,
    translator: ITranslator | null,
    browsers: IFileBrowserFactory | null
  ) => {
    const trans = (translator ?? nullTranslator).load('nbshelf');
    const api = new SharesAPI(app.serviceManager.serverSettings);

    app.commands.addCommand(CommandIDs.share, {
      label: trans.__('Share…'),
      caption: args =>
        args.toolbar
          ? trans.__('Share this notebook by link')
          : trans.__('Share this file by link: public or expiring'),
      icon: shareIcon,
      describedBy: {
        args: {
          type: 'object',
          properties: {
            path: {
              type: 'string',
              description: trans.__(
                'The path of the file to share (default: the file right-clicked in the file browser, or the current document)'
              )
            },
            source: {
              type: 'string',
              enum: ['filebrowser'],
              description: trans.__(
                'Set by the file browser context menu item: share its selected file'
              )
            },
            toolbar: {
              type: 'boolean',
              description: trans.__('Set when run from a toolbar button')
            }
          }
        }
      },
      // the test suite and styles find the notebook toolbar's button by this class
      className: args => (args.toolbar ? 'nbshelf-share-button' : ''),
      // a toolbar button belongs to a notebook: always enabled
      isEnabled: args =>
        !!args.toolbar || sharePath(app, browsers, args as IShareArgs) !== null,
      execute: async args => {
        const path = sharePath(app, browsers, args as IShareArgs);
        if (!path) {
          await showErrorMessage(
            trans.__('Share…'),
            trans.__('Open or select a file to share.')
          );
          return;
        }
        // the dialog's code loads on first use, not at startup
        const { openShareDialog } = await import('./dialog');
        await openShareDialog(path, trans, api);
      }
    });
  }
};

export default plugin;
