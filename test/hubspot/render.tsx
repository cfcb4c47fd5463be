/**
 * createRenderer has no unmount, but cards poll: each test's tree is wrapped in a host that `unmountAll()`
 * removes after the test, so effect clean-ups stop the timers and no poll outlives its test.
 */
import React, { useState } from 'react';
import { createRenderer } from '@hubspot/ui-extensions/testing';
import type { ExtensionPointLocation } from '@hubspot/ui-extensions';

const unmounts: (() => void)[] = [];

export function renderCard<L extends ExtensionPointLocation>(
  location: L,
  node: React.ReactNode,
  /** Runs before the first render, e.g. to set the app page location. */
  prepare?: (renderer: ReturnType<typeof createRenderer<L>>) => void,
) {
  const renderer = createRenderer(location);
  prepare?.(renderer);
  let hide: () => void = () => undefined;
  function Host() {
    const [mounted, setMounted] = useState(true);
    hide = () => setMounted(false);
    return mounted ? <>{node}</> : null;
  }
  renderer.render(<Host />);
  unmounts.push(() => hide());
  return renderer;
}

export function unmountAll(): void {
  for (const unmount of unmounts.splice(0)) unmount();
}

interface TextTree {
  text?: string | null;
  childNodes?: TextTree[];
  nodeType: string;
}

/** All text under a node (the renderer's `.text` holds only a node's own direct text). */
export function textOf(node: TextTree): string {
  if (node.nodeType === 'text') return node.text ?? '';
  return (node.childNodes ?? []).map(textOf).join(' ');
}

/**
 * Fires an input's onChange with a value. The library types `trigger`'s argument as the handler itself, so the
 * value is passed through an untyped view of `trigger`.
 */
export function change(node: { trigger: unknown }, value: unknown, event = 'onChange'): void {
  (node.trigger as (name: string, arg: unknown) => void)(event, value);
}
