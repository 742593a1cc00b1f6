import { describe, expect, it } from 'vitest';
import { mergeFields } from '../../../../src/sync/engine/merge.js';

interface Item {
  title: string | null;
  tags: string[];
}
const base: Item = { title: 'Base', tags: ['a', 'b'] };
const input = (over: Partial<Parameters<typeof mergeFields<Item>>[0]>) => mergeFields<Item>({ base, crm: base, remote: base, fields: ['title', 'tags'], policy: 'crm-wins', crmModifiedAt: null, remoteModifiedAt: null, ...over });

describe('engine mergeFields', () => {
  it('merges a list field with an element key element by element, others as whole values', () => {
    const listKey = (name: keyof Item & string) => (name === 'tags' ? (value: string) => value.toLowerCase() : undefined);
    const result = input({ crm: { title: 'Base', tags: ['a', 'b', 'crm'] }, remote: { title: 'Client', tags: ['A', 'client'] }, listKey });
    expect(result.merged).toEqual({ title: 'Client', tags: ['a', 'crm', 'client'] });
    expect(result).toMatchObject({ conflicts: [], writeCrm: true, writeRemote: true });
    // Without the key the list is one value: the client's whole list replaces an unchanged CRM list.
    expect(input({ remote: { title: 'Base', tags: ['client'] } }).merged.tags).toEqual(['client']);
  });

  it('without a base keeps the CRM values and fills what the CRM lacks from the client', () => {
    const result = input({ base: null, crm: { title: null, tags: ['a'] }, remote: { title: 'Client', tags: ['b'] } });
    expect(result.merged).toEqual({ title: 'Client', tags: ['a'] });
    expect(result.conflicts).toEqual([]);
  });
});
