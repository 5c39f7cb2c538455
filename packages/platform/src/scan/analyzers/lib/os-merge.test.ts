import type { OSInfo } from '@palisade/api';
import { describe, expect, it } from 'vitest';
import { mergeOS, pickOS, refinesRelease } from './os-merge.js';

const os = (family: string, name: string): OSInfo => ({ family, name });

describe('mergeOS', () => {
  // Trivy's TestOS_Merge cases, then the generic-family and refinement rules.
  const table: { name: string; previous: OSInfo | undefined; next: OSInfo; want: OSInfo }[] = [
    {
      name: 'first detection is taken',
      previous: undefined,
      next: os('alpine', '3.20.3'),
      want: os('alpine', '3.20.3'),
    },
    {
      name: 'empty new OS is ignored',
      previous: os('alpine', '3.20.3'),
      next: os('', ''),
      want: os('alpine', '3.20.3'),
    },
    {
      name: 'fill in missing fields',
      previous: os('alpine', ''),
      next: os('alpine', '3.20.3'),
      want: os('alpine', '3.20.3'),
    },
    {
      name: 'existing fields win',
      previous: os('alpine', '3.20.3'),
      next: os('alpine', '3.21.0'),
      want: os('alpine', '3.20.3'),
    },
    {
      name: 'another family does not replace a specific one',
      previous: os('ubuntu', '22.04'),
      next: os('debian', 'bookworm/sid'),
      want: os('ubuntu', '22.04'),
    },
    {
      name: 'redhat is replaced by a clone',
      previous: os('redhat', '7.6'),
      next: os('oracle', '7.6'),
      want: os('oracle', '7.6'),
    },
    {
      name: 'debian is replaced by ubuntu',
      previous: os('debian', 'bookworm/sid'),
      next: os('ubuntu', '24.04'),
      want: os('ubuntu', '24.04'),
    },
    {
      name: 'debian is replaced by a later debian',
      previous: os('debian', '12.5'),
      next: os('debian', '12.6'),
      want: os('debian', '12.6'),
    },
    {
      name: 'redhat keeps its fuller release',
      previous: os('redhat', '8.4'),
      next: os('redhat', '8'),
      want: os('redhat', '8.4'),
    },
    {
      name: 'more specific version wins',
      previous: os('centos', '7'),
      next: os('centos', '7.9.2009'),
      want: os('centos', '7.9.2009'),
    },
    {
      name: 'less specific version loses',
      previous: os('centos', '7.9.2009'),
      next: os('centos', '7'),
      want: os('centos', '7.9.2009'),
    },
    {
      name: 'a longer version that is not a refinement is ignored',
      previous: os('alpine', '3.2'),
      next: os('alpine', '3.20'),
      want: os('alpine', '3.2'),
    },
    {
      name: 'a longer version of another family is ignored',
      previous: os('alpine', '3'),
      next: os('wolfi', '3.1'),
      want: os('alpine', '3'),
    },
    {
      name: 'a missing release is not filled from another family',
      previous: os('alpine', ''),
      next: os('debian', '12.5'),
      want: os('alpine', ''),
    },
  ];
  for (const t of table) {
    it(t.name, () => {
      expect(mergeOS(t.previous, t.next)).toEqual(t.want);
    });
  }

  it('knows what a refinement is', () => {
    expect(refinesRelease('7.9.2009', '7')).toBe(true);
    expect(refinesRelease('7', '7')).toBe(false);
    expect(refinesRelease('7.', '7')).toBe(false);
    expect(refinesRelease('70', '7')).toBe(false);
    expect(refinesRelease('7', '')).toBe(false);
  });
});

describe('pickOS', () => {
  it('returns undefined when nothing named a family', () => {
    expect(pickOS([])).toBeUndefined();
    expect(pickOS([{ analyzer: 'x', os: os('', '') }])).toBeUndefined();
  });

  it('gives the same answer whatever the order within a layer', () => {
    // Ubuntu: debian_version and lsb-release. Oracle: redhat-release, oracle-release, os-release.
    // CentOS 7: os-release `7`, centos-release and redhat-release `7.6.1810`.
    const layers: [OSInfo[], OSInfo][] = [
      [[os('debian', 'bookworm/sid'), os('ubuntu', '24.04')], os('ubuntu', '24.04')],
      [[os('redhat', '8.0'), os('oracle', '8.0'), os('oracle', '8.0')], os('oracle', '8.0')],
      [[os('centos', '7'), os('centos', '7.6.1810'), os('centos', '7.6.1810')], os('centos', '7.6.1810')],
    ];
    for (const [detections, want] of layers) {
      const orders = [
        detections,
        [...detections].reverse(),
        [detections[1], detections[0], ...detections.slice(2)],
      ];
      for (const order of orders) {
        const got = pickOS(
          order.filter((o): o is OSInfo => o !== undefined).map((o) => ({ analyzer: 'a', os: o })),
        );
        expect(got).toEqual(want);
      }
    }
  });

  it('keeps the base layer OS across layers, except debian and redhat which later layers update', () => {
    expect(
      pickOS([
        { analyzer: 'a', os: os('alpine', '3.17.10') },
        { analyzer: 'a', os: os('alpine', '3.18.0') },
      ]),
    ).toEqual(os('alpine', '3.17.10'));
    expect(
      pickOS([
        { analyzer: 'a', os: os('debian', '12.5') },
        { analyzer: 'a', os: os('debian', '12.7') },
      ]),
    ).toEqual(os('debian', '12.7'));
  });
});
