import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { requestAPI } from './handler';

/**
 * The kinds of share the server makes.
 */
export type ShareKind = 'public' | 'expiring' | 'local';

/**
 * A share as the REST API returns it.
 */
export interface IShare {
  id: string;
  path: string;
  kind: ShareKind;
  created: string;
  expires: string | null;
  urls: { notebook?: string; html?: string; nbviewer?: string };
  note: string;
  active: boolean;
  expired: boolean;
  /**
   * Set by a revoke: what the revocation means for the links.
   */
  message?: string;
}

/**
 * What a new share is made of.
 */
export interface IShareRequest {
  path: string;
  kind: 'public' | 'expiring';
  /**
   * For expiring links: seconds, or a duration such as `7d`.
   */
  expires_in?: string | number;
}

/**
 * Typed calls to `/nbshelf/api/shares`.
 */
export class SharesAPI {
  constructor(readonly serverSettings?: ServerConnection.ISettings) {}

  /**
   * Publish a snapshot of a file: a public or an expiring link.
   */
  create(request: IShareRequest): Promise<IShare> {
    return this._request<IShare>('shares', {
      method: 'POST',
      body: JSON.stringify(request)
    });
  }

  /**
   * The shares of one file.
   */
  async list(path: string): Promise<IShare[]> {
    const query = URLExt.objectToQueryString({ path });
    const answer = await this._request<{ shares: IShare[] }>(`shares${query}`);
    return answer.shares;
  }

  /**
   * Revoke a share: its snapshot is deleted.
   */
  revoke(id: string): Promise<IShare> {
    return this._request<IShare>(`shares/${encodeURIComponent(id)}`, {
      method: 'DELETE'
    });
  }

  private _request<T>(endPoint: string, init: RequestInit = {}): Promise<T> {
    return this.serverSettings
      ? requestAPI<T>(endPoint, init, this.serverSettings)
      : requestAPI<T>(endPoint, init);
  }
}
