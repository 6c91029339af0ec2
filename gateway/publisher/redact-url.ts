/**
 * Masks the password of every URL in a text (`mqtt://user:secret@host` → `mqtt://user:***@host`).
 * Validation refuses a password in `mqtt.url` (it belongs in `mqtt.password`, a secret reference), but
 * embedders can pass any URL, and error texts of libraries may quote one: whatever prints a broker URL
 * or an error about one goes through here, so a password can never reach a log line or a status page.
 */

/**
 * `//` (with its scheme, if any: "mqtt//u:p@h" is a typo that still holds a password) and everything up
 * to the end of the authority (path, query, fragment, space, quote).
 */
const URL_AUTHORITY = /((?:\b[a-z][a-z0-9+.-]*:)?\/\/)([^/?#\s"'<>]*)/gi;
/** `user:password@` anywhere else (a malformed URL such as "mqtt:/user:password@host"). */
const BARE_USERINFO = /([^\s"'<>/@:]+):[^\s"'<>/@]+@/g;

export function redactUrls(text: string): string {
  return text
    .replace(URL_AUTHORITY, (whole, scheme: string, authority: string) => {
      // The last '@' ends the userinfo (a password may hold a raw '@'); the first ':' in it ends the user.
      const at = authority.lastIndexOf('@');
      if (at < 0) return whole;
      const userinfo = authority.slice(0, at);
      const colon = userinfo.indexOf(':');
      if (colon < 0) return whole;
      return `${scheme}${userinfo.slice(0, colon)}:***${authority.slice(at)}`;
    })
    .replace(BARE_USERINFO, '$1:***@');
}
