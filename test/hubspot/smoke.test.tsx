import { it, expect, jest } from '@jest/globals';
import React, { useEffect, useState } from 'react';
import { Text, hubspot } from '@hubspot/ui-extensions';
import { createRenderer } from '@hubspot/ui-extensions/testing';

function C() {
  const [t, setT] = useState('loading');
  useEffect(() => {
    void hubspot.fetch('https://x/api').then(async (r) => setT(((await r.json()) as { a: string }).a));
  }, []);
  return <Text>{t}</Text>;
}
it('renders', async () => {
  const spy = jest.spyOn(hubspot, 'fetch').mockResolvedValue(new Response(JSON.stringify({ a: 'hi' })));
  const r = createRenderer('crm.record.tab');
  r.render(<C />);
  expect(r.find(Text).text).toBe('loading');
  await r.waitFor(() => expect(r.find(Text).text).toBe('hi'));
  expect(spy).toHaveBeenCalledWith('https://x/api');
  void React;
});
