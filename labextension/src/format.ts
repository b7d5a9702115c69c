import { TranslationBundle } from '@jupyterlab/translation';

import { IShare } from './shares';

/**
 * The expiry choices of an expiring link: [value sent to the API, label].
 */
export function expiryChoices(trans: TranslationBundle): [string, string][] {
  return [
    ['1h', trans.__('1 hour')],
    ['1d', trans.__('1 day')],
    ['7d', trans.__('7 days')],
    ['30d', trans.__('30 days')]
  ];
}

/**
 * The expiry selected when the dialog opens.
 */
export const DEFAULT_EXPIRY = '7d';

/**
 * One line about a share: its kind, until when, whether it expired.
 */
export function describeShare(share: IShare, trans: TranslationBundle): string {
  const kind =
    share.kind === 'public'
      ? trans.__('Public link')
      : share.kind === 'local'
        ? trans.__('Link served by this server')
        : trans.__('Expiring link');
  const until = share.expires
    ? trans.__(', until %1', new Date(share.expires).toLocaleString())
    : '';
  const expired = share.expired ? trans.__(' (expired)') : '';
  return `${kind}${until}${expired}`;
}

/**
 * The message of an error thrown by the API.
 */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
