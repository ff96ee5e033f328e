// Server-side only: a query string decoded strictly. URLSearchParams turns a malformed
// percent-escape (%FF, a lone %ED%A0%80 surrogate) into "\ufffd" silently, so a search
// would quietly look for the wrong text; this refuses it instead, naming the parameter.

/** The parameters of a URL's query, or a sentence naming the first undecodable one. */
export function strictQuery(url: string): URLSearchParams | string {
  const search = new URL(url).search.slice(1);
  const params = new URLSearchParams();
  if (!search) return params;
  for (const pair of search.split("&")) {
    if (!pair) continue;
    const eq = pair.indexOf("=");
    const [rawKey, rawValue] = eq < 0 ? [pair, ""] : [pair.slice(0, eq), pair.slice(eq + 1)];
    const decode = (s: string) => decodeURIComponent(s.replace(/\+/g, " "));
    let key: string;
    try {
      key = decode(rawKey);
    } catch {
      return `A query parameter name is not valid percent-encoded UTF-8: "${rawKey.slice(0, 40)}".`;
    }
    try {
      params.append(key, decode(rawValue));
    } catch {
      return `Query parameter "${key.slice(0, 40)}" is not valid percent-encoded UTF-8; encode the text as UTF-8.`;
    }
  }
  return params;
}
