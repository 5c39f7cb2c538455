/** The Grafana dashboard queries only metrics and labels the exporter exposes. */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  CLUSTER_POLICY_REPORT_RESULT_LABELS,
  POLICY_REPORT_RESULT_LABELS,
  STARBOARD_CONFIG_AUDIT_LABELS,
  STARBOARD_DETAIL_LABELS,
  STARBOARD_SUMMARY_LABELS,
  TRIVY_CONFIG_AUDIT_LABELS,
  TRIVY_IMAGE_LABELS,
} from './exporter.js';

const LABELS: Record<string, readonly string[]> = {
  starboard_exporter_vulnerabilityreport_image_vulnerability_severity_count: STARBOARD_SUMMARY_LABELS,
  starboard_exporter_vulnerabilityreport_image_vulnerability: STARBOARD_DETAIL_LABELS,
  starboard_exporter_configauditreport_resource_checks_summary_count: STARBOARD_CONFIG_AUDIT_LABELS,
  trivy_image_vulnerabilities: TRIVY_IMAGE_LABELS,
  trivy_image_exposedsecrets: TRIVY_IMAGE_LABELS,
  trivy_resource_configaudits: TRIVY_CONFIG_AUDIT_LABELS,
  policy_report_result: POLICY_REPORT_RESULT_LABELS,
  cluster_policy_report_result: CLUSTER_POLICY_REPORT_RESULT_LABELS,
};

const path = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../dashboards/grafana/palisade.json');
const dashboard = JSON.parse(readFileSync(path, 'utf8')) as {
  panels: { title: string; targets: { expr: string }[] }[];
};

describe('dashboards/grafana/palisade.json', () => {
  for (const p of dashboard.panels) {
    it(`panel "${p.title}" uses exported metrics and labels`, () => {
      for (const t of p.targets) {
        const metrics = [...t.expr.matchAll(/([a-z_]+)\{([^}]*)\}/g)];
        expect(metrics.length, t.expr).toBeGreaterThan(0);
        for (const [, name, matchers] of metrics) {
          const labels = LABELS[name ?? ''];
          expect(labels, `${name} is not exported`).toBeDefined();
          for (const [, l] of (matchers ?? '').matchAll(/([a-z_]+)\s*(?:=~|!~|!=|=)/g))
            expect(labels, `${name} has no label ${l}`).toContain(l);
        }
        const by = /by \(([^)]*)\)/.exec(t.expr)?.[1];
        for (const l of by?.split(',').map((s) => s.trim()) ?? []) {
          expect(
            metrics.some(([, n]) => LABELS[n ?? '']?.includes(l)),
            `grouping label ${l} in ${t.expr}`,
          ).toBe(true);
        }
      }
    });
  }
});
