import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import type { ForwardedCertConfig } from "../config/sections/identity.ts";

/** The client certificate as a trusted TLS terminator reported it. */
export interface ForwardedCert {
  /** The name chosen by `subjectFrom`: CN, first URI SAN, or first DNS SAN. */
  readonly name: string;
  /** SHA-256 fingerprint of the certificate when one was forwarded, else null. */
  readonly fingerprint: string | null;
}

export type ForwardedCertReason =
  | "authn.client_cert.malformed"
  | "authn.client_cert.untrusted_issuer"
  | "authn.client_cert.expired"
  | "authn.client_cert.no_name";

/**
 * Reads the client-certificate header a TLS terminator (Envoy's X-Forwarded-Client-Cert, or an
 * URL-escaped PEM from nginx/HAProxy) adds. What is verified here: the header came from a
 * configured proxy address (checked by the caller); with `caFile`, that the forwarded
 * certificate was issued and signed by that CA and is inside its validity period. What is NOT
 * verified here: that the client held the private key (the terminator's handshake did that),
 * chains longer than one CA, and revocation. Without `caFile` the terminator's word is taken.
 */
export function createForwardedCertReader(config: ForwardedCertConfig) {
  const authorities = config.caFile ? loadAuthorities(config.caFile) : null;

  return (value: string, nowMs: number): ForwardedCert | ForwardedCertReason => {
    const fields = config.format === "pem" ? { Cert: value } : parseXfcc(value);
    if (!fields) return "authn.client_cert.malformed";

    let cert: X509Certificate | null = null;
    if (fields.Cert) {
      try {
        cert = new X509Certificate(decodeURIComponent(fields.Cert));
      } catch {
        return "authn.client_cert.malformed";
      }
    }
    if (authorities) {
      if (!cert) return "authn.client_cert.malformed";
      if (!authorities.some((ca) => cert!.checkIssued(ca) && cert!.verify(ca.publicKey))) {
        return "authn.client_cert.untrusted_issuer";
      }
      if (nowMs < Date.parse(cert.validFrom) || nowMs > Date.parse(cert.validTo)) {
        return "authn.client_cert.expired";
      }
    }

    const name = cert
      ? nameFromCert(cert, config.subjectFrom)
      : nameFromFields(fields, config.subjectFrom);
    if (!name) return "authn.client_cert.no_name";
    return {
      name,
      fingerprint: cert ? cert.fingerprint256.replaceAll(":", "").toLowerCase() : null,
    };
  };
}

function loadAuthorities(file: string): X509Certificate[] {
  const pem = readFileSync(file, "utf8");
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new TypeError(`no certificate in ${file}`);
  return blocks.map((block) => new X509Certificate(block));
}

function nameFromCert(cert: X509Certificate, from: ForwardedCertConfig["subjectFrom"]) {
  if (from === "cn") return /(?:^|\n)CN=([^\n]+)/.exec(cert.subject)?.[1] ?? null;
  const prefix = from === "uri" ? "URI:" : "DNS:";
  const san = (cert.subjectAltName ?? "").split(", ").find((s) => s.startsWith(prefix));
  return san ? san.slice(prefix.length) : null;
}

function nameFromFields(fields: Record<string, string>, from: ForwardedCertConfig["subjectFrom"]) {
  if (from === "uri") return fields.URI ?? null;
  if (from === "dns") return fields.DNS ?? null;
  return fields.Subject ? (/(?:^|,)\s*CN=([^,]+)/.exec(fields.Subject)?.[1] ?? null) : null;
}

/**
 * Parses one XFCC element: `key=value` pairs separated by `;`, values optionally in double
 * quotes with `\"` escapes. Several elements (`,` outside quotes) mean several hops; that is
 * refused, since the gateway cannot tell which hop's client it is talking to.
 */
export function parseXfcc(value: string): Record<string, string> | null {
  const fields: Record<string, string> = {};
  let i = 0;
  while (i < value.length) {
    const eq = value.indexOf("=", i);
    if (eq < 0) return null;
    const key = value.slice(i, eq).trim();
    let j = eq + 1;
    let text = "";
    if (value[j] === '"') {
      for (j++; j < value.length && value[j] !== '"'; j++) {
        if (value[j] === "\\" && j + 1 < value.length) j++;
        text += value[j];
      }
      if (value[j] !== '"') return null;
      j++;
    } else {
      while (j < value.length && value[j] !== ";" && value[j] !== ",") text += value[j++];
    }
    if (value[j] === ",") return null;
    // Repeated URI/DNS keys are allowed by Envoy; the first one names the client.
    if (!(key in fields)) fields[key] = text;
    i = value[j] === ";" ? j + 1 : j;
  }
  return Object.keys(fields).length > 0 ? fields : null;
}
