import { Dialog, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { copyText } from './clipboard';
import { el, externalLink } from './dom';
import {
  DEFAULT_EXPIRY,
  describeShare,
  errorMessage,
  expiryChoices
} from './format';
import { IShare, IShareRequest, SharesAPI } from './shares';

/**
 * A translated sentence, given with `%1` kept as is, with a node in its place.
 */
function withNode(translated: string, node: Node): (Node | string)[] {
  const [before, ...after] = translated.split('%1');
  return [before, node, after.join('%1')];
}

/**
 * The Share… dialog's body: choose a kind of link, create it, show it with a
 * copy button and its pages, list the file's shares and revoke them.
 */
export class ShareBody extends Widget {
  constructor(
    readonly path: string,
    private readonly _trans: TranslationBundle,
    private readonly _api: SharesAPI = new SharesAPI()
  ) {
    super({ node: el('div', { className: 'nbshelf-share' }) });
    this._expiringRadio = el('input', {
      type: 'radio',
      name: 'nbshelf-kind',
      value: 'expiring'
    });
    this._expiringRadio.checked = true;
    this._publicRadio = el('input', {
      type: 'radio',
      name: 'nbshelf-kind',
      value: 'public'
    });
    this._expiry = el('select', {
      className: 'nbshelf-share-expiry jp-mod-styled',
      'aria-label': _trans.__('Expires in')
    });
    for (const [value, label] of expiryChoices(_trans)) {
      const option = el('option', { value }, label);
      option.selected = value === DEFAULT_EXPIRY;
      this._expiry.append(option);
    }
    this._status = el('div', {
      className: 'nbshelf-share-status',
      role: 'status'
    });
    this._result = el('div', { className: 'nbshelf-share-result' });
    this._list = el('ul', { className: 'nbshelf-share-list' });
    this._build();
    void this.refresh();
  }

  /**
   * List the file's shares again.
   */
  async refresh(): Promise<void> {
    const trans = this._trans;
    let shares: IShare[];
    try {
      shares = await this._api.list(this.path);
    } catch (error) {
      this._status.textContent = trans.__(
        'Could not list shares: %1',
        errorMessage(error)
      );
      return;
    }
    this._list.replaceChildren();
    if (!shares.length) {
      this._list.append(
        el(
          'li',
          { className: 'nbshelf-share-none' },
          trans.__('Not shared yet.')
        )
      );
    }
    for (const share of shares) {
      this._list.append(this._listItem(share));
    }
  }

  private _build(): void {
    const trans = this._trans;
    const name = this.path.split('/').pop() || this.path;
    const create = el(
      'button',
      { className: 'jp-mod-styled jp-mod-accept nbshelf-share-create' },
      trans.__('Create link')
    );
    create.addEventListener('click', () => void this._create());
    this.node.append(
      el(
        'p',
        { className: 'nbshelf-share-file' },
        ...withNode(
          trans.__('Share %1 as a snapshot:', '%1'),
          el('b', {}, name)
        )
      ),
      el(
        'div',
        { className: 'nbshelf-share-kinds' },
        el(
          'label',
          {},
          this._expiringRadio,
          ' ',
          ...withNode(
            trans.__('Expiring link, valid for %1', '%1'),
            this._expiry
          )
        ),
        el(
          'label',
          {},
          this._publicRadio,
          ' ',
          trans.__('Public link (stable, anyone with it can open it)')
        )
      ),
      create,
      this._status,
      this._result,
      el('h3', {}, trans.__('Current shares of this file')),
      this._list
    );
  }

  private async _create(): Promise<void> {
    const trans = this._trans;
    const request: IShareRequest = {
      path: this.path,
      kind: this._publicRadio.checked ? 'public' : 'expiring'
    };
    if (request.kind === 'expiring') {
      request.expires_in = this._expiry.value;
    }
    this._status.textContent = trans.__('Publishing…');
    try {
      const share = await this._api.create(request);
      this._status.textContent = '';
      this._show(share);
      await this.refresh();
    } catch (error) {
      this._status.textContent = trans.__(
        'Could not share: %1',
        errorMessage(error)
      );
    }
  }

  private async _revoke(share: IShare): Promise<void> {
    const trans = this._trans;
    try {
      const answer = await this._api.revoke(share.id);
      this._status.textContent = answer.message || trans.__('Revoked.');
      this._result.replaceChildren();
      await this.refresh();
    } catch (error) {
      this._status.textContent = trans.__(
        'Could not revoke: %1',
        errorMessage(error)
      );
    }
  }

  /**
   * Show a share's link, a copy button, its pages and its note.
   */
  private _show(share: IShare): void {
    const trans = this._trans;
    const input = el('input', {
      className: 'nbshelf-share-link jp-mod-styled',
      readonly: 'true',
      value: share.urls.html || share.urls.notebook || '',
      'aria-label': trans.__('Link')
    });
    const copy = el(
      'button',
      { className: 'jp-mod-styled nbshelf-share-copy' },
      trans.__('Copy')
    );
    copy.addEventListener('click', async () => {
      await copyText(input.value);
      copy.textContent = trans.__('Copied');
    });
    const links = el('div', { className: 'nbshelf-share-links' });
    if (share.urls.html) {
      links.append(
        externalLink(
          share.urls.html,
          trans.__('Rendered page'),
          'nbshelf-share-html'
        )
      );
    }
    if (share.urls.notebook) {
      links.append(
        externalLink(
          share.urls.notebook,
          trans.__('Notebook file'),
          'nbshelf-share-notebook'
        )
      );
    }
    if (share.urls.nbviewer) {
      links.append(
        externalLink(
          share.urls.nbviewer,
          trans.__('nbviewer'),
          'nbshelf-share-nbviewer'
        )
      );
    }
    this._result.replaceChildren(
      el('div', { className: 'nbshelf-share-row' }, input, copy),
      links,
      el('p', { className: 'nbshelf-share-note' }, share.note)
    );
  }

  private _listItem(share: IShare): HTMLLIElement {
    const trans = this._trans;
    const show = el(
      'button',
      { className: 'jp-mod-styled nbshelf-share-show' },
      trans.__('Show')
    );
    show.addEventListener('click', () => this._show(share));
    const revoke = el(
      'button',
      { className: 'jp-mod-styled jp-mod-warn nbshelf-share-revoke' },
      trans.__('Revoke')
    );
    revoke.addEventListener('click', () => void this._revoke(share));
    return el(
      'li',
      { 'data-share-id': share.id },
      el('span', {}, describeShare(share, trans)),
      show,
      revoke
    );
  }

  private _publicRadio: HTMLInputElement;
  private _expiringRadio: HTMLInputElement;
  private _expiry: HTMLSelectElement;
  private _status: HTMLDivElement;
  private _result: HTMLDivElement;
  private _list: HTMLUListElement;
}

/**
 * Open the Share… dialog for one file.
 */
export async function openShareDialog(
  path: string,
  trans: TranslationBundle,
  api?: SharesAPI
): Promise<void> {
  await showDialog({
    title: trans.__('Share…'),
    body: new ShareBody(path, trans, api),
    buttons: [Dialog.okButton({ label: trans.__('Close') })]
  });
}
