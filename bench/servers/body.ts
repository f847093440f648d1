/** The 1 KiB JSON document every benchmark response carries (1,023 bytes plus a newline). */
export const benchBodyBytes = 1024;

function buildBody(): Uint8Array {
  const head = '{"service":"portcullis-bench","items":[';
  const item = '{"id":1,"ok":true},';
  let text = head;
  while (text.length + item.length + 12 < benchBodyBytes) text += item;
  text = text.slice(0, -1) + '],"pad":"';
  text += "x".repeat(benchBodyBytes - text.length - 3) + '"}\n';
  const bytes = new TextEncoder().encode(text);
  if (bytes.length !== benchBodyBytes) throw new Error(`bench body is ${bytes.length} bytes`);
  return bytes;
}

export const benchBody: Uint8Array = buildBody();
