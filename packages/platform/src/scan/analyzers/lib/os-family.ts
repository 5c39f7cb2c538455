/**
 * OS family names, spelled as Trivy reports them in `Metadata.OS.Family` and in
 * result targets (`img.tar (debian 12.5)`). Newer Trivy releases renamed the
 * SUSE families (`opensuse.leap` → `opensuse-leap`, `suse linux enterprise
 * server` → `sles`); the new spellings are used, as in the Trivy golden outputs
 * under ../shared/data/scan/trivy-integration.
 */
export const OSFamily = {
  ActiveState: 'activestate',
  Alma: 'alma',
  Alpine: 'alpine',
  Amazon: 'amazon',
  Azure: 'azurelinux',
  Bottlerocket: 'bottlerocket',
  CBLMariner: 'cbl-mariner',
  CentOS: 'centos',
  Chainguard: 'chainguard',
  CoreOS: 'coreos',
  Debian: 'debian',
  Echo: 'echo',
  Fedora: 'fedora',
  MinimOS: 'minimos',
  OpenSUSELeap: 'opensuse-leap',
  OpenSUSETumbleweed: 'opensuse-tumbleweed',
  Oracle: 'oracle',
  Photon: 'photon',
  RedHat: 'redhat',
  Rocky: 'rocky',
  SLEMicro: 'slem',
  SLES: 'sles',
  Ubuntu: 'ubuntu',
  Wolfi: 'wolfi',
} as const;

export type OSFamilyName = (typeof OSFamily)[keyof typeof OSFamily];
