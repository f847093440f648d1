/**
 * Reads a response body as text only while it stays within `maxBytes`. A declared
 * `Content-Length` over the limit is refused before any byte is read; otherwise the stream is
 * read chunk by chunk and cancelled as soon as the running total passes the limit, so a huge or
 * endless body costs at most `maxBytes` plus one chunk of memory, not the whole document.
 * Returns null when the body is too large; the caller aborts the request to close the socket.
 */
export async function readBoundedText(
  response: Response,
  maxBytes: number,
): Promise<string | null> {
  const declared = response.headers.get("content-length");
  if (declared !== null && Number(declared) > maxBytes) return null;
  if (!response.body) return "";

  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      reader.cancel().catch(() => {});
      return null;
    }
    chunks.push(value);
  }
  return new TextDecoder().decode(Buffer.concat(chunks, total));
}
