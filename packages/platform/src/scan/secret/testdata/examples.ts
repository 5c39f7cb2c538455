/**
 * One positive and one negative example per built-in rule, built at run time
 * so that this repository holds no string that looks like a real credential
 * (prefix + generated body). `secret` is the exact text the finding must
 * redact; `negative` is a near miss that the rule must not report.
 */

/** `n` characters cycling through `chars`. */
export function cycle(chars: string, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += chars[i % chars.length];
  return s;
}

const HEX = '0123456789abcdef';
const HEXU = '0123456789ABCDEF';
const AN = 'aB3dE5gH7jK9mN1pQ2rS4tU6vW8xY0z';
const LOWER_AN = 'a1b2c3d4e5f6g7h8i9j0klmnopqrstuvwxyz';
const UPPER_AN = 'A1B2C3D4E5F6G7H8I9J0KLMNOPQRSTUVWXYZ';
const AH = 'a1b2c3d4e5f6g7h8';
const B64 = 'Ab3/Cd5+Ef7Gh9Ij0Kl1Mn2Op4Qr6St8Uv';

export interface RuleExample {
  id: string;
  /** A file content in which the rule must report `secret`. */
  positive: string;
  secret: string;
  /** Content in which the rule must report nothing. */
  negative: string;
}

function ex(id: string, make: (s: string) => string, secret: string, negative: string): RuleExample {
  return { id, positive: make(secret), secret, negative };
}

const uuidAh = `${cycle(AH, 8)}-${cycle(AH, 4)}-${cycle(AH, 4)}-${cycle(AH, 4)}-${cycle(AH, 12)}`;
const uuidUpper = `${cycle(HEXU, 8)}-${cycle(HEXU, 4)}-${cycle(HEXU, 4)}-${cycle(HEXU, 4)}-${cycle(HEXU, 12)}`;
const kv = (key: string) => (s: string) => `${key} = "${s}"\n`;

export const ruleExamples: readonly RuleExample[] = [
  ex(
    'aws-access-key-id',
    (s) => `export AWS_ACCESS_KEY_ID=${s}\n`,
    'AKIA' + cycle(UPPER_AN, 16),
    'export ID=AKIA' + cycle('abc', 16) + '\n',
  ),
  ex(
    'aws-secret-access-key',
    (s) => `aws_secret_access_key = ${s}\n`,
    cycle(B64, 40),
    'aws_secret_access_key = ' + cycle(B64, 39) + '\n',
  ),
  ex('github-pat', (s) => `token: ${s}\n`, 'ghp_' + cycle(AN, 36), 'token: ghp_' + cycle(AN, 35) + '\n'),
  ex('github-oauth', (s) => `token: ${s}\n`, 'gho_' + cycle(AN, 36), 'token: xgho_' + cycle(AN, 36) + '\n'),
  ex(
    'github-app-token',
    (s) => `token: ${s}\n`,
    'ghs_' + cycle(AN, 36),
    'token: ghx_' + cycle(AN, 36) + '\n',
  ),
  ex(
    'github-refresh-token',
    (s) => `token: ${s}\n`,
    'ghr_' + cycle(AN, 76),
    'token: ghr_' + cycle(AN, 70) + '\n',
  ),
  ex(
    'github-fine-grained-pat',
    (s) => `GH=${s}\n`,
    'github_pat_' + cycle(AN, 22) + '_' + cycle(AN, 59),
    'GH=github_pat_' + cycle(AN, 22) + '-' + cycle(AN, 59) + '\n',
  ),
  ex('gitlab-pat', (s) => `GL=${s}\n`, 'glpat-' + cycle(AN, 20), 'GL=glpat-' + cycle(AN, 19) + '\n'),
  ex('hugging-face-access-token', (s) => `HF=${s}\n`, 'hf_' + cycle(AN, 34), 'HF=hf_' + cycle(AN, 20) + '\n'),
  ex(
    'private-key',
    (s) => `key: |\n-----BEGIN RSA PRIVATE KEY-----${s}-----END RSA PRIVATE KEY-----\n`,
    `\n${cycle(B64, 64)}\n${cycle(B64, 40)}==\n`,
    '-----BEGIN PUBLIC KEY-----\n' + cycle(B64, 64) + '\n-----END PUBLIC KEY-----\n',
  ),
  ex(
    'shopify-token',
    (s) => `SHOP=${s}\n`,
    'shpat_' + cycle(HEX, 32),
    'SHOP=shpat_' + cycle('xyz', 32) + '\n',
  ),
  ex(
    'slack-access-token',
    (s) => `SLACK=${s}\n`,
    'xoxb-' + cycle(AN, 24),
    'SLACK=xoxz-' + cycle(AN, 24) + '\n',
  ),
  ex(
    'slack-web-hook',
    (s) => `url: ${s}\n`,
    'https://hooks.slack.com/services/' + cycle(AN, 44),
    'url: https://hooks.slack.com/services/' + cycle(AN, 20) + '\n',
  ),
  ex(
    'stripe-publishable-token',
    (s) => `pk = ${s}\n`,
    'pk_test_' + cycle(LOWER_AN, 24),
    'pk = pk_prod_' + cycle(LOWER_AN, 24) + '\n',
  ),
  ex(
    'stripe-secret-token',
    (s) => `sk = ${s}\n`,
    'sk_live_' + cycle(LOWER_AN, 24),
    'sk = sk_live_' + cycle(LOWER_AN, 5) + '\n',
  ),
  ex(
    'pypi-upload-token',
    (s) => `password = ${s}\n`,
    'pypi-AgEIcHlwaS5vcmc' + cycle(AN, 60),
    'password = pypi-AgEIcHlwaS5vcmc' + cycle(AN, 10) + '\n',
  ),
  ex(
    'gcp-service-account',
    (s) => `{\n  ${s},\n  "project_id": "p"\n}\n`,
    '"type": "service_account"',
    '{"type":"authorized_user"}\n',
  ),
  ex('gcp-api-key', (s) => `key=${s}\n`, 'AIza' + cycle(AN, 35), 'key=AIza' + cycle(AN, 30) + '\n'),
  ex('heroku-api-key', (s) => `const heroku_key = "${s}"\n`, uuidUpper, 'const heroku_key = "not-a-uuid"\n'),
  ex('twilio-api-key', (s) => `TWILIO=${s}\n`, 'SK' + cycle(HEX, 32), 'TWILIO=SK' + cycle('xyz', 32) + '\n'),
  ex(
    'age-secret-key',
    (s) => `${s}\n`,
    'AGE-SECRET-KEY-1' + cycle('QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L', 58),
    'AGE-SECRET-KEY-1' + cycle('B', 58) + '\n',
  ),
  ex('facebook-token', kv('facebook_secret'), cycle(HEX, 32), 'facebook_secret = "' + cycle(HEX, 31) + '"\n'),
  ex('twitter-token', kv('twitter_secret'), cycle(HEX, 40), 'twitter_secret = "' + cycle('xyz', 40) + '"\n'),
  ex('adobe-client-id', kv('adobe_client'), cycle(HEX, 32), 'adobe_client = ' + cycle(HEX, 32) + '\n'),
  ex(
    'adobe-client-secret',
    (s) => `${s}\n`,
    'p8e-' + cycle(LOWER_AN, 32),
    'p8e-' + cycle(LOWER_AN, 10) + '\n',
  ),
  ex(
    'alibaba-access-key-id',
    (s) => `id=${s}\n`,
    'LTAI' + cycle(LOWER_AN, 20),
    'id=LTAI' + cycle(LOWER_AN, 24) + '\n',
  ),
  ex(
    'alibaba-secret-key',
    kv('alibaba_secret'),
    cycle(LOWER_AN, 30),
    'alibaba_secret = "' + cycle(LOWER_AN, 29) + '"\n',
  ),
  ex(
    'asana-client-id',
    kv('asana_id'),
    cycle('0123456789', 16),
    'asana_id = "' + cycle('0123456789', 15) + '"\n',
  ),
  ex(
    'asana-client-secret',
    kv('asana_secret'),
    cycle(LOWER_AN, 32),
    'asana_secret = "' + cycle(LOWER_AN, 31) + '"\n',
  ),
  ex(
    'atlassian-api-token',
    kv('atlassian_token'),
    cycle(LOWER_AN, 24),
    'atlassian_token = "' + cycle(LOWER_AN, 23) + '"\n',
  ),
  ex(
    'bitbucket-client-id',
    kv('bitbucket_id'),
    cycle(LOWER_AN, 32),
    'bitbucket_id = "' + cycle(LOWER_AN, 31) + '"\n',
  ),
  ex(
    'bitbucket-client-secret',
    kv('bitbucket_secret'),
    cycle(LOWER_AN, 64),
    'bitbucket_secret = "' + cycle(LOWER_AN, 63) + '"\n',
  ),
  ex(
    'beamer-api-token',
    kv('beamer_token'),
    'b_' + cycle(LOWER_AN, 44),
    'beamer_token = "c_' + cycle(LOWER_AN, 44) + '"\n',
  ),
  ex(
    'clojars-api-token',
    (s) => `${s}\n`,
    'CLOJARS_' + cycle(LOWER_AN, 60),
    'CLOJARS_' + cycle(LOWER_AN, 20) + '\n',
  ),
  ex(
    'contentful-delivery-api-token',
    kv('contentful_token'),
    cycle(LOWER_AN, 43),
    'contentful_token = "' + cycle(LOWER_AN, 42) + '"\n',
  ),
  ex(
    'databricks-api-token',
    (s) => `DATABRICKS=${s}\n`,
    'dapi' + cycle(AH, 32),
    'DATABRICKS=dapi' + cycle('xyz', 32) + '\n',
  ),
  ex('discord-api-token', kv('discord_token'), cycle(AH, 64), 'discord_token = "' + cycle('xyz', 64) + '"\n'),
  ex(
    'discord-client-id',
    kv('discord_id'),
    cycle('0123456789', 18),
    'discord_id = "' + cycle('0123456789', 17) + '"\n',
  ),
  ex(
    'discord-client-secret',
    kv('discord_secret'),
    cycle(LOWER_AN, 32),
    'discord_secret = "' + cycle(LOWER_AN, 31) + '"\n',
  ),
  ex(
    'doppler-api-token',
    (s) => `t = "${s}"\n`,
    'dp.pt.' + cycle(LOWER_AN, 43),
    't = "dp.pt.' + cycle(LOWER_AN, 42) + '"\n',
  ),
  ex(
    'dropbox-api-secret',
    kv('dropbox_secret'),
    cycle(LOWER_AN, 15),
    'dropbox_secret = "' + cycle(LOWER_AN, 14) + '"\n',
  ),
  ex(
    'dropbox-short-lived-api-token',
    kv('dropbox_token'),
    'sl.' + cycle(LOWER_AN, 135),
    'dropbox_token = "sl.' + cycle(LOWER_AN, 134) + '"\n',
  ),
  ex(
    'dropbox-long-lived-api-token',
    kv('dropbox_token'),
    cycle(LOWER_AN, 11) + 'AAAAAAAAAA' + cycle(LOWER_AN, 43),
    'dropbox_token = "' + cycle(LOWER_AN, 11) + 'AAAAAAAAAB' + cycle(LOWER_AN, 43) + '"\n',
  ),
  ex(
    'duffel-api-token',
    (s) => `t = ${s}\n`,
    '"duffel_test_' + cycle(LOWER_AN, 43) + '"',
    't = "duffel_test_' + cycle(LOWER_AN, 42) + '"\n',
  ),
  ex(
    'dynatrace-api-token',
    (s) => `t = ${s}\n`,
    '"dt0c01.' + cycle(LOWER_AN, 24) + '.' + cycle(LOWER_AN, 64) + '"',
    't = "dt0c01.' + cycle(LOWER_AN, 24) + '"\n',
  ),
  ex(
    'easypost-api-token',
    (s) => `t = ${s}\n`,
    '"EZAK' + cycle(LOWER_AN, 54) + '"',
    't = "EZAK' + cycle(LOWER_AN, 50) + '"\n',
  ),
  ex(
    'fastly-api-token',
    kv('fastly_token'),
    cycle(LOWER_AN, 32),
    'fastly_token = "' + cycle(LOWER_AN, 31) + '"\n',
  ),
  ex(
    'grafana-api-token',
    (s) => `t = ${s}\n`,
    '"eyJrIjoi' + cycle(LOWER_AN, 80) + '"',
    't = "eyJrIjoi' + cycle(LOWER_AN, 20) + '"\n',
  ),
  ex(
    'hashicorp-tf-api-token',
    (s) => `t = ${s}\n`,
    '"' + cycle(LOWER_AN, 14) + '.atlasv1.' + cycle(LOWER_AN, 64) + '"',
    't = "' + cycle(LOWER_AN, 14) + '.atlasv2.' + cycle(LOWER_AN, 64) + '"\n',
  ),
  ex('hubspot-api-token', kv('hubspot_key'), uuidAh, 'hubspot_key = "' + uuidAh.slice(1) + '"\n'),
  ex(
    'jwt-token',
    (s) => `Authorization: Bearer ${s}\n`,
    'eyJ' + cycle(AN, 20) + '.eyJ' + cycle(AN, 30) + '.' + cycle(AN, 43),
    'Authorization: Bearer eyJ' + cycle(AN, 5) + '.eyJ' + cycle(AN, 5) + '\n',
  ),
  ex(
    'linear-api-token',
    (s) => `${s}\n`,
    'lin_api_' + cycle(LOWER_AN, 40),
    'lin_api_' + cycle(LOWER_AN, 30) + '\n',
  ),
  ex(
    'mailchimp-api-key',
    kv('mailchimp_key'),
    cycle(HEX, 32) + '-us20',
    'mailchimp_key = "' + cycle(HEX, 32) + '-us21"\n',
  ),
  ex(
    'mailgun-token',
    kv('mailgun_key'),
    'key-' + cycle(HEX, 32),
    'mailgun_key = "key-' + cycle(HEX, 31) + '"\n',
  ),
  ex(
    'mapbox-api-token',
    (s) => `${s}\n`,
    'pk.' + cycle(LOWER_AN, 60) + '.' + cycle(LOWER_AN, 22),
    'pk.' + cycle(LOWER_AN, 60) + '\n',
  ),
  ex(
    'new-relic-user-api-key',
    (s) => `k = "${s}"\n`,
    'NRAK-' + cycle(UPPER_AN, 27),
    'k = "NRAK-' + cycle(UPPER_AN, 26) + '"\n',
  ),
  ex(
    'new-relic-browser-api-token',
    (s) => `k = "${s}"\n`,
    'NRJS-' + cycle(HEX, 19),
    'k = "NRJS-' + cycle(HEX, 18) + '"\n',
  ),
  ex(
    'npm-access-token',
    (s) => `//registry.npmjs.org/:_authToken="${s}"\n`,
    'npm_' + cycle(AN, 36),
    '//registry.npmjs.org/:_authToken=npm_' + cycle(AN, 36) + '\n',
  ),
  ex(
    'planetscale-password',
    (s) => `${s}\n`,
    'pscale_pw_' + cycle(LOWER_AN, 43),
    'pscale_pw_' + cycle(LOWER_AN, 20) + '\n',
  ),
  ex(
    'planetscale-api-token',
    (s) => `${s}\n`,
    'pscale_tkn_' + cycle(LOWER_AN, 43),
    'pscale_tkn_' + cycle(LOWER_AN, 20) + '\n',
  ),
  ex(
    'private-packagist-token',
    (s) => `${s}\n`,
    'packagist_out_' + cycle(HEX, 68),
    'packagist_xyz_' + cycle(HEX, 68) + '\n',
  ),
  ex(
    'postman-api-token',
    (s) => `${s}\n`,
    'PMAK-' + cycle(HEX, 24) + '-' + cycle(HEX, 34),
    'PMAK-' + cycle(HEX, 24) + '\n',
  ),
  ex('pulumi-api-token', (s) => `${s}\n`, 'pul-' + cycle(HEX, 40), 'pul-' + cycle(HEX, 30) + '\n'),
  ex(
    'rubygems-api-token',
    (s) => `${s}\n`,
    'rubygems_' + cycle(HEX, 48),
    'rubygems_' + cycle(HEX, 40) + '\n',
  ),
  ex('sendgrid-api-token', (s) => `${s}\n`, 'SG.' + cycle(LOWER_AN, 66), 'SG.' + cycle(LOWER_AN, 30) + '\n'),
  ex(
    'sendinblue-api-token',
    (s) => `${s}\n`,
    'xkeysib-' + cycle(HEX, 64) + '-' + cycle(LOWER_AN, 16),
    'xkeysib-' + cycle(HEX, 64) + '\n',
  ),
  ex(
    'shippo-api-token',
    (s) => `${s}\n`,
    'shippo_live_' + cycle(HEX, 40),
    'shippo_prod_' + cycle(HEX, 40) + '\n',
  ),
  ex(
    'twitch-api-token',
    kv('twitch_token'),
    cycle(LOWER_AN, 30),
    'twitch_token = "' + cycle(LOWER_AN, 29) + '"\n',
  ),
  ex(
    'dockerconfig-secret',
    (s) => `data:\n  .dockerconfigjson: ${s}\n`,
    'eyJ' + cycle(B64, 60),
    'data:\n  config.json: eyJ' + cycle(B64, 60) + '\n',
  ),
  ex(
    'dockerconfig-auth',
    (s) => `{"auths":{"r.example":{"auth":"${s}"}}}\n`,
    cycle(B64, 24) + '==',
    '{"auths":{"r.example":{"auth":""}}}\n',
  ),
  ex(
    'dockerhub-pat',
    (s) => `DOCKER_PAT=${s}\n`,
    'dckr_pat_' + cycle(AN, 27),
    'DOCKER_PAT=dckr_pat_' + cycle(AN, 20) + '\n',
  ),
  ex(
    'azure-storage-account-key',
    (s) => `DefaultEndpointsProtocol=https;AccountName=x;AccountKey=${s};EndpointSuffix=core.windows.net\n`,
    cycle(B64, 86) + '==',
    'AccountKey=' + cycle(B64, 40) + '\n',
  ),
  ex(
    'url-password',
    (s) => `DATABASE_URL=postgres://app:${s}@db.internal:5432/app\n`,
    'Tr0ub4dor-' + cycle(AN, 6),
    'DATABASE_URL=postgres://app:password@db.internal:5432/app\n',
  ),
];
