/**
 * nbshelf "Share…": share a notebook or file by link from JupyterLab or Notebook 7.
 *
 * One command (nbshelf:share) in three places: the file browser's context menu,
 * the File menu and the notebook toolbar. Its dialog makes public or expiring
 * links through nbshelf's REST API (/nbshelf/api/shares), shows the link with a
 * copy button and the rendered page, lists the file's shares and revokes them.
 * Every token but the application is optional, so Notebook 7 (tree and notebook
 * pages) loads it too.
 */
import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  Clipboard,
  Dialog,
  ToolbarButton,
  showDialog,
  showErrorMessage
} from '@jupyterlab/apputils';
import { URLExt } from '@jupyterlab/coreutils';
import { DocumentRegistry } from '@jupyterlab/docregistry';
import { IFileBrowserFactory } from '@jupyterlab/filebrowser';
import { IMainMenu } from '@jupyterlab/mainmenu';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { ServerConnection } from '@jupyterlab/services';
import { IDisposable } from '@lumino/disposable';
import { Widget } from '@lumino/widgets';

const COMMAND = 'nbshelf:share';

interface IShare {
  id: string;
  path: string;
  kind: 'public' | 'expiring' | 'local';
  created: string;
  expires: string | null;
  urls: { notebook?: string; html?: string; nbviewer?: string };
  note: string;
  active: boolean;
  expired: boolean;
  message?: string;
}

const EXPIRIES: [string, string][] = [
  ['1h', '1 hour'],
  ['1d', '1 day'],
  ['7d', '7 days'],
  ['30d', '30 days']
];

/** One request to nbshelf's share API (the server's auth and XSRF rules apply). */
async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const settings = ServerConnection.makeSettings();
  const url = URLExt.join(settings.baseUrl, 'nbshelf/api/shares', path);
  const response = await ServerConnection.makeRequest(url, init, settings);
  const text = await response.text();
  let body: any = {};
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    body = { message: text };
  }
  if (!response.ok) {
    throw new Error(body.message || `HTTP ${response.status}`);
  }
  return body as T;
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'className') {
      node.className = v;
    } else {
      node.setAttribute(k, v);
    }
  }
  for (const c of children) {
    node.append(c);
  }
  return node;
}

function link(href: string, text: string, cls: string): HTMLAnchorElement {
  return el('a', { href, target: '_blank', rel: 'noopener noreferrer', className: cls }, text);
}

async function copy(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    Clipboard.copyToSystem(text); // older browsers, insecure origins
  }
}

function describe(share: IShare): string {
  const kind =
    share.kind === 'public'
      ? 'Public link'
      : share.kind === 'local'
        ? 'Link served by this server'
        : 'Expiring link';
  const until = share.expires
    ? `, until ${new Date(share.expires).toLocaleString()}`
    : '';
  return `${kind}${until}${share.expired ? ' (expired)' : ''}`;
}

/** The dialog body: choose, create, show the link, list and revoke. */
class ShareBody extends Widget {
  constructor(readonly path: string) {
    super({ node: el('div', { className: 'nbshelf-share' }) });
    this.build();
    void this.refresh();
  }

  private build(): void {
    const n = this.node;
    const name = this.path.split('/').pop() || this.path;
    n.append(el('p', { className: 'nbshelf-share-file' }, 'Share ', el('b', {}, name), ' as a snapshot:'));
    this.publicRadio = el('input', { type: 'radio', name: 'nbshelf-kind', value: 'public' });
    this.expiringRadio = el('input', { type: 'radio', name: 'nbshelf-kind', value: 'expiring' });
    this.expiringRadio.checked = true;
    this.expiry = el('select', { className: 'nbshelf-share-expiry jp-mod-styled', 'aria-label': 'Expires in' });
    for (const [value, label] of EXPIRIES) {
      const opt = el('option', { value }, label);
      if (value === '7d') {
        opt.selected = true;
      }
      this.expiry.append(opt);
    }
    n.append(
      el('div', { className: 'nbshelf-share-kinds' },
        el('label', {}, this.expiringRadio, ' Expiring link, valid for ', this.expiry),
        el('label', {}, this.publicRadio, ' Public link (stable, anyone with it can open it)')
      )
    );
    const create = el('button', { className: 'jp-mod-styled jp-mod-accept nbshelf-share-create' }, 'Create link');
    create.addEventListener('click', () => void this.create());
    n.append(create);
    this.result = el('div', { className: 'nbshelf-share-result' });
    this.status = el('div', { className: 'nbshelf-share-status', role: 'status' });
    n.append(this.status, this.result);
    n.append(el('h3', {}, 'Current shares of this file'));
    this.list = el('ul', { className: 'nbshelf-share-list' });
    n.append(this.list);
  }

  private async create(): Promise<void> {
    const kind = this.publicRadio.checked ? 'public' : 'expiring';
    const body: Record<string, unknown> = { path: this.path, kind };
    if (kind === 'expiring') {
      body.expires_in = this.expiry.value;
    }
    this.status.textContent = 'Publishing…';
    try {
      const share = await api<IShare>('', { method: 'POST', body: JSON.stringify(body) });
      this.status.textContent = '';
      this.showShare(share);
      await this.refresh();
    } catch (e) {
      this.status.textContent = `Could not share: ${(e as Error).message}`;
    }
  }

  private showShare(share: IShare): void {
    const r = this.result;
    r.replaceChildren();
    const url = share.urls.html || share.urls.notebook || '';
    const input = el('input', { className: 'nbshelf-share-link jp-mod-styled', readonly: 'true', value: url, 'aria-label': 'Link' });
    const copyButton = el('button', { className: 'jp-mod-styled nbshelf-share-copy' }, 'Copy');
    copyButton.addEventListener('click', async () => {
      await copy(input.value);
      copyButton.textContent = 'Copied';
    });
    r.append(el('div', { className: 'nbshelf-share-row' }, input, copyButton));
    const links = el('div', { className: 'nbshelf-share-links' });
    if (share.urls.html) {
      links.append(link(share.urls.html, 'Rendered page', 'nbshelf-share-html'));
    }
    if (share.urls.notebook) {
      links.append(link(share.urls.notebook, 'Notebook file', 'nbshelf-share-notebook'));
    }
    if (share.urls.nbviewer) {
      links.append(link(share.urls.nbviewer, 'nbviewer', 'nbshelf-share-nbviewer'));
    }
    r.append(links, el('p', { className: 'nbshelf-share-note' }, share.note));
  }

  async refresh(): Promise<void> {
    try {
      const { shares } = await api<{ shares: IShare[] }>(
        `?path=${encodeURIComponent(this.path)}`
      );
      this.list.replaceChildren();
      if (!shares.length) {
        this.list.append(el('li', { className: 'nbshelf-share-none' }, 'Not shared yet.'));
      }
      for (const s of shares) {
        const revoke = el('button', { className: 'jp-mod-styled jp-mod-warn nbshelf-share-revoke' }, 'Revoke');
        revoke.addEventListener('click', async () => {
          try {
            const answer = await api<IShare>(s.id, { method: 'DELETE' });
            this.status.textContent = answer.message || 'Revoked.';
            this.result.replaceChildren();
            await this.refresh();
          } catch (e) {
            this.status.textContent = `Could not revoke: ${(e as Error).message}`;
          }
        });
        const show = el('button', { className: 'jp-mod-styled nbshelf-share-show' }, 'Show');
        show.addEventListener('click', () => this.showShare(s));
        this.list.append(
          el('li', { 'data-share-id': s.id }, el('span', {}, describe(s)), show, revoke)
        );
      }
    } catch (e) {
      this.status.textContent = `Could not list shares: ${(e as Error).message}`;
    }
  }

  private publicRadio!: HTMLInputElement;
  private expiringRadio!: HTMLInputElement;
  private expiry!: HTMLSelectElement;
  private result!: HTMLDivElement;
  private status!: HTMLDivElement;
  private list!: HTMLUListElement;
}

async function openDialog(path: string): Promise<void> {
  await showDialog({
    title: 'Share…',
    body: new ShareBody(path),
    buttons: [Dialog.okButton({ label: 'Close' })]
  });
}

/** The notebook toolbar's Share… button. */
class ToolbarShare
  implements DocumentRegistry.IWidgetExtension<NotebookPanel, DocumentRegistry.IModel>
{
  constructor(private readonly app: JupyterFrontEnd) {}
  createNew(panel: NotebookPanel): IDisposable {
    const button = new ToolbarButton({
      className: 'nbshelf-share-button',
      label: 'Share…',
      tooltip: 'Share this notebook by link',
      onClick: () => void this.app.commands.execute(COMMAND, { path: panel.context.path })
    });
    panel.toolbar.insertItem(10, 'nbshelfShare', button);
    return button;
  }
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: '@nbshelf/share:plugin',
  description: 'Share notebooks by link (nbshelf).',
  autoStart: true,
  optional: [IFileBrowserFactory, IMainMenu, INotebookTracker],
  activate: (
    app: JupyterFrontEnd,
    browsers: IFileBrowserFactory | null,
    menu: IMainMenu | null,
    notebooks: INotebookTracker | null
  ) => {
    const currentPath = (args: any): string | null => {
      if (args && typeof args.path === 'string') {
        return args.path;
      }
      // from the file browser: its selected file
      const browser = browsers?.tracker.currentWidget;
      const node = app.contextMenuHitTest(n => n.classList.contains('jp-DirListing-item'));
      if (browser && node) {
        const item = browser.selectedItems().next();
        if (item && !item.done && item.value.type !== 'directory') {
          return item.value.path;
        }
      }
      const widget = notebooks?.currentWidget ?? null;
      if (widget && app.shell.currentWidget === widget) {
        return widget.context.path;
      }
      const current = app.shell.currentWidget as any;
      return current?.context?.path ?? null;
    };

    app.commands.addCommand(COMMAND, {
      label: 'Share…',
      caption: 'Share this file by link: public or expiring',
      execute: async args => {
        const path = currentPath(args);
        if (!path) {
          await showErrorMessage('Share…', 'Open or select a file to share.');
          return;
        }
        await openDialog(path);
      }
    });
    app.contextMenu.addItem({
      command: COMMAND,
      selector: '.jp-DirListing-item[data-isdir="false"]',
      rank: 11
    });
    menu?.fileMenu.addGroup([{ command: COMMAND }], 6);
    app.docRegistry.addWidgetExtension('Notebook', new ToolbarShare(app));
  }
};

export default plugin;
