import type { RoutePattern } from "./route-pattern.ts";
import { createRouteSet, type RouteSet, type RouteSlot } from "./route-set.ts";

/**
 * A static child. Looking a fresh substring up in a `Map<string>` costs JSC about 85 ns (it
 * must flatten and hash a new string), so children are found by a hash computed while
 * scanning for the next `/`, then confirmed character by character: no string is created.
 */
interface StaticEdge {
  readonly text: string;
  readonly node: TrieNode;
  /** Next edge whose text has the same hash. */
  next: StaticEdge | null;
}

/** Fan-out above which a node indexes its static children by hash instead of a list scan. */
const indexAbove = 8;

/** One segment position. Lookups follow the request path's segments, whatever the route count. */
interface TrieNode {
  edges: StaticEdge[] | null;
  index: Map<number, StaticEdge> | null;
  param: TrieNode | null;
  /** Routes whose path ends here. */
  exact: RouteSet | null;
  /** Routes written `.../*` whose prefix ends here. */
  prefix: RouteSet | null;
}

/** The routes of one host rule as a segment trie. */
export interface RouteTrie {
  readonly root: TrieNode;
  readonly sets: RouteSet[];
}

export function createRouteTrie(): RouteTrie {
  return { root: createNode(), sets: [] };
}

/** Adds a route; `foldCase` lower-cases static segments for a case-insensitive table. */
export function insertRoute(
  trie: RouteTrie,
  pattern: RoutePattern,
  foldCase: boolean,
  slot: RouteSlot,
): void {
  let node = trie.root;
  for (const segment of pattern.segments) {
    if (segment.kind === "param") {
      node = node.param ??= createNode();
      continue;
    }
    const text = foldCase ? segment.value.toLowerCase() : segment.value;
    node = staticChild(node, text, 0, text.length, hashOf(text)) ?? addEdge(node, text);
  }
  const set = pattern.prefix ? (node.prefix ??= newSet(trie)) : (node.exact ??= newSet(trie));
  set.slots.push(slot);
}

/**
 * Finds the most specific route set for a canonical path: at each segment a static child
 * before the param child before a prefix wildcard, backtracking when a branch dead-ends. A
 * trailing slash is the end of the path. `captures` receives [start, end) offsets of each
 * parameter on the way to the returned set.
 */
export function lookupRoute(trie: RouteTrie, path: string, captures: Int32Array): RouteSet | null {
  return walk(trie.root, path, 1, captures, 0);
}

function walk(
  node: TrieNode,
  path: string,
  at: number,
  captures: Int32Array,
  depth: number,
): RouteSet | null {
  const length = path.length;
  if (at >= length) return node.exact ?? node.prefix;

  let end = at;
  let hash = 0;
  for (; end < length; end++) {
    const c = path.charCodeAt(end);
    if (c === 0x2f) break;
    hash = (Math.imul(hash, 31) + c) | 0;
  }
  const next = end === length ? length : end + 1;

  const child = staticChild(node, path, at, end, hash);
  const found = child === null ? null : walk(child, path, next, captures, depth);
  if (found !== null) return found;

  if (node.param !== null && end > at) {
    captures[depth * 2] = at;
    captures[depth * 2 + 1] = end;
    const viaParam = walk(node.param, path, next, captures, depth + 1);
    if (viaParam !== null) return viaParam;
  }
  return node.prefix;
}

function staticChild(node: TrieNode, path: string, at: number, end: number, hash: number) {
  if (node.index !== null) {
    for (let e = node.index.get(hash) ?? null; e !== null; e = e.next) {
      if (sameText(path, at, end, e.text)) return e.node;
    }
    return null;
  }
  const edges = node.edges;
  if (edges === null) return null;
  for (let i = 0; i < edges.length; i++) {
    if (sameText(path, at, end, edges[i]!.text)) return edges[i]!.node;
  }
  return null;
}

function sameText(path: string, at: number, end: number, text: string): boolean {
  if (end - at !== text.length) return false;
  for (let i = 0; i < text.length; i++) {
    if (path.charCodeAt(at + i) !== text.charCodeAt(i)) return false;
  }
  return true;
}

function addEdge(node: TrieNode, text: string): TrieNode {
  const edge: StaticEdge = { text, node: createNode(), next: null };
  const edges = (node.edges ??= []);
  edges.push(edge);
  if (edges.length > indexAbove && node.index === null) {
    node.index = new Map();
    for (const e of edges) indexEdge(node.index, e);
  } else if (node.index !== null) {
    indexEdge(node.index, edge);
  }
  return edge.node;
}

function indexEdge(index: Map<number, StaticEdge>, edge: StaticEdge): void {
  const hash = hashOf(edge.text);
  edge.next = index.get(hash) ?? null;
  index.set(hash, edge);
}

/** The hash `walk` computes while it scans a segment. */
function hashOf(text: string): number {
  let hash = 0;
  for (let i = 0; i < text.length; i++) hash = (Math.imul(hash, 31) + text.charCodeAt(i)) | 0;
  return hash;
}

function createNode(): TrieNode {
  return { edges: null, index: null, param: null, exact: null, prefix: null };
}

function newSet(trie: RouteTrie): RouteSet {
  const set = createRouteSet();
  trie.sets.push(set);
  return set;
}

/** Every static segment text in the trie; the router asks whether any has capitals. */
export function staticTexts(trie: RouteTrie): string[] {
  const texts: string[] = [];
  const visit = (node: TrieNode): void => {
    for (const edge of node.edges ?? []) {
      texts.push(edge.text);
      visit(edge.node);
    }
    if (node.param !== null) visit(node.param);
  };
  visit(trie.root);
  return texts;
}
