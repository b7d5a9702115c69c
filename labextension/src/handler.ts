import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

/**
 * Call nbshelf's REST API (`/nbshelf/api/...`), with the server's auth and XSRF.
 *
 * @param endPoint API end point below `nbshelf/api`, e.g. `shares` or `shares/<id>`
 * @param init Initial values for the request
 * @param serverSettings The server settings to use (default: the page's own)
 * @returns The response body interpreted as JSON
 * @throws ServerConnection.ResponseError with the server's `message` when the
 *   answer is not 2xx; ServerConnection.NetworkError when the server is unreachable
 */
export async function requestAPI<T>(
  endPoint = '',
  init: RequestInit = {},
  serverSettings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<T> {
  const requestUrl = URLExt.join(
    serverSettings.baseUrl,
    'nbshelf/api',
    endPoint
  );

  let response: Response;
  try {
    response = await ServerConnection.makeRequest(
      requestUrl,
      init,
      serverSettings
    );
  } catch (error) {
    throw new ServerConnection.NetworkError(error as TypeError);
  }

  let data: any = await response.text();
  if (data.length > 0) {
    try {
      data = JSON.parse(data);
    } catch {
      console.log('Not a JSON response body.', response);
    }
  }

  if (!response.ok) {
    const message =
      (typeof data === 'object' && data?.message) ||
      (typeof data === 'string' && data) ||
      undefined;
    throw new ServerConnection.ResponseError(response, message);
  }

  return data;
}
