/**
 * Trivy Operator's report kinds (aquasecurity.github.io/v1alpha1) as zod schemas, their
 * TypeScript types and CRD descriptors. Field names, descriptions, required lists, bounds and
 * printer columns are those of Trivy Operator v0.32.0's CRDs (deploy/helm/crds), so the CRDs
 * generated from these schemas (deploy/crds/) are interchangeable with upstream's and existing
 * tools (kubectl columns, starboard-exporter, dashboards) keep working. A test compares the
 * generated CRDs with upstream's files in ../shared/data/scan/trivy-operator/crds.
 */
import { z } from 'zod';
import type { CrdDescriptor, ObjectMeta } from './crd.js';

export const VulnerabilityReportSchema = z
  .looseObject({
    apiVersion: z
      .string()
      .describe(
        'APIVersion defines the versioned schema of this representation of an object.\nServers should convert recognized schemas to the latest internal value, and\nmay reject unrecognized values.\nMore info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources',
      )
      .optional(),
    kind: z
      .string()
      .describe(
        'Kind is a string value representing the REST resource this object represents.\nServers may infer this from the endpoint the client submits requests to.\nCannot be updated.\nIn CamelCase.\nMore info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds',
      )
      .optional(),
    metadata: z.looseObject({}).optional(),
    report: z
      .object({
        artifact: z
          .object({
            digest: z
              .string()
              .describe('Digest is a unique and immutable identifier of an Artifact.')
              .optional(),
            mimeType: z.string().describe('MimeType represents a type and format of an Artifact.').optional(),
            repository: z
              .string()
              .describe('Repository is the name of the repository in the Artifact registry.')
              .optional(),
            tag: z
              .string()
              .describe('Tag is a mutable, human-readable string used to identify an Artifact.')
              .optional(),
          })
          .describe(
            'Artifact represents a standalone, executable package of software that includes everything needed to\nrun an application.',
          ),
        os: z
          .object({
            eosl: z
              .boolean()
              .describe('Eosl is true if OS version has reached end of service life')
              .optional(),
            family: z.string().describe('Operating System Family').optional(),
            name: z.string().describe('Name or version of the OS').optional(),
          })
          .describe('OS information of the artifact'),
        registry: z
          .object({
            server: z.string().describe('Server the FQDN of registry server.').optional(),
          })
          .describe('Registry is the registry the Artifact was pulled from.')
          .optional(),
        scanner: z
          .object({
            name: z.string().describe('Name the name of the scanner.'),
            vendor: z.string().describe('Vendor the name of the vendor providing the scanner.'),
            version: z.string().describe('Version the version of the scanner.'),
          })
          .describe('Scanner is the scanner that generated this report.'),
        summary: z
          .object({
            criticalCount: z
              .int()
              .min(0)
              .describe('CriticalCount is the number of vulnerabilities with Critical Severity.'),
            highCount: z
              .int()
              .min(0)
              .describe('HighCount is the number of vulnerabilities with High Severity.'),
            lowCount: z.int().min(0).describe('LowCount is the number of vulnerabilities with Low Severity.'),
            mediumCount: z
              .int()
              .min(0)
              .describe('MediumCount is the number of vulnerabilities with Medium Severity.'),
            noneCount: z
              .int()
              .min(0)
              .describe('NoneCount is the number of packages without any vulnerability.')
              .optional(),
            unknownCount: z
              .int()
              .min(0)
              .describe('UnknownCount is the number of vulnerabilities with unknown severity.'),
          })
          .describe('Summary is a summary of Vulnerability counts grouped by Severity.'),
        updateTimestamp: z
          .string()
          .meta({ format: 'date-time' })
          .describe(
            'UpdateTimestamp is a timestamp representing the server time in UTC when this report was updated.',
          ),
        vulnerabilities: z
          .array(
            z
              .object({
                class: z.string().optional(),
                cvss: z
                  .record(
                    z.string(),
                    z.object({
                      V2Score: z.number().optional(),
                      V2Vector: z.string().optional(),
                      V3Score: z.number().optional(),
                      V3Vector: z.string().optional(),
                      V40Score: z.number().optional(),
                      V40Vector: z.string().optional(),
                    }),
                  )
                  .optional(),
                cvsssource: z.string().optional(),
                description: z.string().optional(),
                fixedVersion: z
                  .string()
                  .describe(
                    'FixedVersion indicates the version of the Resource in which this vulnerability has been fixed.',
                  ),
                installedVersion: z
                  .string()
                  .describe('InstalledVersion indicates the installed version of the Resource.'),
                lastModifiedDate: z
                  .string()
                  .describe('LastModifiedDate indicates the last date CVE has been modified.'),
                links: z.array(z.string()).optional(),
                packagePURL: z.string().optional(),
                packagePath: z.string().optional(),
                packageType: z.string().optional(),
                primaryLink: z.string().optional(),
                publishedDate: z.string().describe('PublishedDate indicates the date of published CVE.'),
                resource: z.string().describe('Resource is a vulnerable package, application, or library.'),
                score: z.number().optional(),
                severity: z
                  .enum(['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'])
                  .describe('Severity level of a vulnerability or a configuration audit check.'),
                target: z.string().optional(),
                title: z.string(),
                vulnerabilityID: z.string().describe('VulnerabilityID the vulnerability identifier.'),
              })
              .describe('Vulnerability is the spec for a vulnerability record.'),
          )
          .describe(
            'Vulnerabilities is a list of operating system (OS) or application software Vulnerability items found in the Artifact.',
          ),
      })
      .describe('Report is the actual vulnerability report data.'),
  })
  .meta({ 'x-kubernetes-preserve-unknown-fields': true })
  .describe(
    'VulnerabilityReport summarizes vulnerabilities in application dependencies and operating system packages\nbuilt into container images.',
  );

export const ExposedSecretReportSchema = z
  .looseObject({
    apiVersion: z
      .string()
      .describe(
        'APIVersion defines the versioned schema of this representation of an object.\nServers should convert recognized schemas to the latest internal value, and\nmay reject unrecognized values.\nMore info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources',
      )
      .optional(),
    kind: z
      .string()
      .describe(
        'Kind is a string value representing the REST resource this object represents.\nServers may infer this from the endpoint the client submits requests to.\nCannot be updated.\nIn CamelCase.\nMore info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds',
      )
      .optional(),
    metadata: z.looseObject({}).optional(),
    report: z
      .object({
        artifact: z
          .object({
            digest: z
              .string()
              .describe('Digest is a unique and immutable identifier of an Artifact.')
              .optional(),
            mimeType: z.string().describe('MimeType represents a type and format of an Artifact.').optional(),
            repository: z
              .string()
              .describe('Repository is the name of the repository in the Artifact registry.')
              .optional(),
            tag: z
              .string()
              .describe('Tag is a mutable, human-readable string used to identify an Artifact.')
              .optional(),
          })
          .describe(
            'Artifact represents a standalone, executable package of software that includes everything needed to\nrun an application.',
          ),
        registry: z
          .object({
            server: z.string().describe('Server the FQDN of registry server.').optional(),
          })
          .describe('Registry is the registry the Artifact was pulled from.')
          .optional(),
        scanner: z
          .object({
            name: z.string().describe('Name the name of the scanner.'),
            vendor: z.string().describe('Vendor the name of the vendor providing the scanner.'),
            version: z.string().describe('Version the version of the scanner.'),
          })
          .describe('Scanner is the scanner that generated this report.'),
        secrets: z
          .array(
            z
              .object({
                category: z.string(),
                match: z.string().describe('Match where the exposed rule matched.'),
                ruleID: z.string().describe('RuleID is rule the identifier.'),
                severity: z
                  .enum(['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'])
                  .describe('Severity level of a vulnerability or a configuration audit check.'),
                target: z.string().describe('Target is where the exposed secret was found.'),
                title: z.string(),
              })
              .describe('ExposedSecret is the spec for a exposed secret record.'),
          )
          .describe(
            'Exposed secrets is a list of passwords, api keys, tokens and others items found in the Artifact.',
          ),
        summary: z
          .object({
            criticalCount: z
              .int()
              .min(0)
              .describe('CriticalCount is the number of exposed secrets with Critical Severity.'),
            highCount: z
              .int()
              .min(0)
              .describe('HighCount is the number of exposed secrets with High Severity.'),
            lowCount: z.int().min(0).describe('LowCount is the number of exposed secrets with Low Severity.'),
            mediumCount: z
              .int()
              .min(0)
              .describe('MediumCount is the number of exposed secrets with Medium Severity.'),
          })
          .describe('Summary is the exposed secrets counts grouped by Severity.'),
        updateTimestamp: z
          .string()
          .meta({ format: 'date-time' })
          .describe(
            'UpdateTimestamp is a timestamp representing the server time in UTC when this report was updated.',
          ),
      })
      .describe('Report is the actual exposed secret report data.'),
  })
  .meta({ 'x-kubernetes-preserve-unknown-fields': true })
  .describe('ExposedSecretReport summarizes exposed secrets in plaintext files built into container images.');

export const SbomReportSchema = z
  .looseObject({
    apiVersion: z
      .string()
      .describe(
        'APIVersion defines the versioned schema of this representation of an object.\nServers should convert recognized schemas to the latest internal value, and\nmay reject unrecognized values.\nMore info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources',
      )
      .optional(),
    kind: z
      .string()
      .describe(
        'Kind is a string value representing the REST resource this object represents.\nServers may infer this from the endpoint the client submits requests to.\nCannot be updated.\nIn CamelCase.\nMore info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds',
      )
      .optional(),
    metadata: z.looseObject({}).optional(),
    report: z
      .object({
        artifact: z
          .object({
            digest: z
              .string()
              .describe('Digest is a unique and immutable identifier of an Artifact.')
              .optional(),
            mimeType: z.string().describe('MimeType represents a type and format of an Artifact.').optional(),
            repository: z
              .string()
              .describe('Repository is the name of the repository in the Artifact registry.')
              .optional(),
            tag: z
              .string()
              .describe('Tag is a mutable, human-readable string used to identify an Artifact.')
              .optional(),
          })
          .describe(
            'Artifact represents a standalone, executable package of software that includes everything needed to\nrun an application.',
          ),
        components: z
          .object({
            bomFormat: z.string(),
            components: z
              .array(
                z.object({
                  'bom-ref': z.string().optional(),
                  group: z.string().optional(),
                  hashes: z
                    .array(
                      z.object({
                        alg: z.string().optional(),
                        content: z.string().optional(),
                      }),
                    )
                    .optional(),
                  licenses: z
                    .array(
                      z.object({
                        expression: z.string().optional(),
                        license: z
                          .object({
                            id: z.string().optional(),
                            name: z.string().optional(),
                            url: z.string().optional(),
                          })
                          .optional(),
                      }),
                    )
                    .optional(),
                  name: z.string().optional(),
                  properties: z
                    .array(
                      z.object({
                        name: z.string().optional(),
                        value: z.string().optional(),
                      }),
                    )
                    .optional(),
                  purl: z.string().optional(),
                  supplier: z
                    .object({
                      contact: z
                        .array(
                          z.object({
                            email: z.string().optional(),
                            name: z.string().optional(),
                            phone: z.string().optional(),
                          }),
                        )
                        .optional(),
                      name: z.string().optional(),
                      url: z.array(z.string()).optional(),
                    })
                    .optional(),
                  type: z.string().optional(),
                  version: z.string().optional(),
                }),
              )
              .optional(),
            dependencies: z
              .array(
                z.object({
                  dependsOn: z.array(z.string()).optional(),
                  ref: z.string().optional(),
                }),
              )
              .optional(),
            metadata: z
              .object({
                component: z
                  .object({
                    'bom-ref': z.string().optional(),
                    group: z.string().optional(),
                    hashes: z
                      .array(
                        z.object({
                          alg: z.string().optional(),
                          content: z.string().optional(),
                        }),
                      )
                      .optional(),
                    licenses: z
                      .array(
                        z.object({
                          expression: z.string().optional(),
                          license: z
                            .object({
                              id: z.string().optional(),
                              name: z.string().optional(),
                              url: z.string().optional(),
                            })
                            .optional(),
                        }),
                      )
                      .optional(),
                    name: z.string().optional(),
                    properties: z
                      .array(
                        z.object({
                          name: z.string().optional(),
                          value: z.string().optional(),
                        }),
                      )
                      .optional(),
                    purl: z.string().optional(),
                    supplier: z
                      .object({
                        contact: z
                          .array(
                            z.object({
                              email: z.string().optional(),
                              name: z.string().optional(),
                              phone: z.string().optional(),
                            }),
                          )
                          .optional(),
                        name: z.string().optional(),
                        url: z.array(z.string()).optional(),
                      })
                      .optional(),
                    type: z.string().optional(),
                    version: z.string().optional(),
                  })
                  .optional(),
                timestamp: z.string().optional(),
                tools: z
                  .object({
                    components: z
                      .array(
                        z.object({
                          'bom-ref': z.string().optional(),
                          group: z.string().optional(),
                          hashes: z
                            .array(
                              z.object({
                                alg: z.string().optional(),
                                content: z.string().optional(),
                              }),
                            )
                            .optional(),
                          licenses: z
                            .array(
                              z.object({
                                expression: z.string().optional(),
                                license: z
                                  .object({
                                    id: z.string().optional(),
                                    name: z.string().optional(),
                                    url: z.string().optional(),
                                  })
                                  .optional(),
                              }),
                            )
                            .optional(),
                          name: z.string().optional(),
                          properties: z
                            .array(
                              z.object({
                                name: z.string().optional(),
                                value: z.string().optional(),
                              }),
                            )
                            .optional(),
                          purl: z.string().optional(),
                          supplier: z
                            .object({
                              contact: z
                                .array(
                                  z.object({
                                    email: z.string().optional(),
                                    name: z.string().optional(),
                                    phone: z.string().optional(),
                                  }),
                                )
                                .optional(),
                              name: z.string().optional(),
                              url: z.array(z.string()).optional(),
                            })
                            .optional(),
                          type: z.string().optional(),
                          version: z.string().optional(),
                        }),
                      )
                      .optional(),
                  })
                  .optional(),
              })
              .optional(),
            serialNumber: z.string().optional(),
            specVersion: z.string(),
            version: z.int().optional(),
          })
          .describe('Bom is artifact bill of materials.'),
        registry: z
          .object({
            server: z.string().describe('Server the FQDN of registry server.').optional(),
          })
          .describe('Registry is the registry the Artifact was pulled from.')
          .optional(),
        scanner: z
          .object({
            name: z.string().describe('Name the name of the scanner.'),
            vendor: z.string().describe('Vendor the name of the vendor providing the scanner.'),
            version: z.string().describe('Version the version of the scanner.'),
          })
          .describe('Scanner is the scanner that generated this report.'),
        summary: z
          .object({
            componentsCount: z.int().min(0).describe('ComponentsCount is the number of components in bom.'),
            dependenciesCount: z
              .int()
              .min(0)
              .describe('DependenciesCount is the number of dependencies in bom.'),
          })
          .describe('Summary is a summary of sbom report.'),
        updateTimestamp: z
          .string()
          .meta({ format: 'date-time' })
          .describe(
            'UpdateTimestamp is a timestamp representing the server time in UTC when this report was updated.',
          ),
      })
      .describe('Report is the actual sbom report data.'),
  })
  .meta({ 'x-kubernetes-preserve-unknown-fields': true })
  .describe('SbomReport summarizes components and dependencies found in container image');

export const ConfigAuditReportSchema = z
  .looseObject({
    apiVersion: z
      .string()
      .describe(
        'APIVersion defines the versioned schema of this representation of an object.\nServers should convert recognized schemas to the latest internal value, and\nmay reject unrecognized values.\nMore info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources',
      )
      .optional(),
    kind: z
      .string()
      .describe(
        'Kind is a string value representing the REST resource this object represents.\nServers may infer this from the endpoint the client submits requests to.\nCannot be updated.\nIn CamelCase.\nMore info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds',
      )
      .optional(),
    metadata: z.looseObject({}).optional(),
    report: z.object({
      checks: z
        .array(
          z
            .object({
              category: z.string().optional(),
              checkID: z.string(),
              description: z.string().optional(),
              messages: z.array(z.string()).optional(),
              remediation: z
                .string()
                .describe(
                  'Remediation provides description or links to external resources to remediate failing check.',
                )
                .optional(),
              scope: z
                .object({
                  type: z
                    .string()
                    .describe('Type indicates type of this scope, e.g. Container, ConfigMapKey or JSONPath.'),
                  value: z
                    .string()
                    .describe(
                      'Value indicates value of this scope that depends on Type, e.g. container name, ConfigMap key or JSONPath expression',
                    ),
                })
                .describe('Scope indicates the section of config that was audited.')
                .optional(),
              severity: z
                .string()
                .describe('Severity level of a vulnerability or a configuration audit check.'),
              success: z.boolean(),
              title: z.string().optional(),
            })
            .describe('Check provides the result of conducting a single audit step.'),
        )
        .describe('Checks provides results of conducting audit steps.'),
      scanner: z
        .object({
          name: z.string().describe('Name the name of the scanner.'),
          vendor: z.string().describe('Vendor the name of the vendor providing the scanner.'),
          version: z.string().describe('Version the version of the scanner.'),
        })
        .describe('Scanner is the spec for a scanner generating a security assessment report.')
        .optional(),
      summary: z
        .object({
          criticalCount: z
            .int()
            .describe('CriticalCount is the number of failed checks with critical severity.'),
          highCount: z.int().describe('HighCount is the number of failed checks with high severity.'),
          lowCount: z.int().describe('LowCount is the number of failed check with low severity.'),
          mediumCount: z.int().describe('MediumCount is the number of failed checks with medium severity.'),
        })
        .describe('ConfigAuditSummary counts failed checks by severity.')
        .optional(),
      updateTimestamp: z.string().meta({ format: 'date-time' }).optional(),
    }),
  })
  .meta({ 'x-kubernetes-preserve-unknown-fields': true })
  .describe('ConfigAuditReport is a specification for the ConfigAuditReport resource.');

export const RbacAssessmentReportSchema = z
  .looseObject({
    apiVersion: z
      .string()
      .describe(
        'APIVersion defines the versioned schema of this representation of an object.\nServers should convert recognized schemas to the latest internal value, and\nmay reject unrecognized values.\nMore info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources',
      )
      .optional(),
    kind: z
      .string()
      .describe(
        'Kind is a string value representing the REST resource this object represents.\nServers may infer this from the endpoint the client submits requests to.\nCannot be updated.\nIn CamelCase.\nMore info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds',
      )
      .optional(),
    metadata: z.looseObject({}).optional(),
    report: z.object({
      checks: z
        .array(
          z
            .object({
              category: z.string().optional(),
              checkID: z.string(),
              description: z.string().optional(),
              messages: z.array(z.string()).optional(),
              remediation: z
                .string()
                .describe(
                  'Remediation provides description or links to external resources to remediate failing check.',
                )
                .optional(),
              scope: z
                .object({
                  type: z
                    .string()
                    .describe('Type indicates type of this scope, e.g. Container, ConfigMapKey or JSONPath.'),
                  value: z
                    .string()
                    .describe(
                      'Value indicates value of this scope that depends on Type, e.g. container name, ConfigMap key or JSONPath expression',
                    ),
                })
                .describe('Scope indicates the section of config that was audited.')
                .optional(),
              severity: z
                .string()
                .describe('Severity level of a vulnerability or a configuration audit check.'),
              success: z.boolean(),
              title: z.string().optional(),
            })
            .describe('Check provides the result of conducting a single audit step.'),
        )
        .describe('Checks provides results of conducting audit steps.'),
      scanner: z
        .object({
          name: z.string().describe('Name the name of the scanner.'),
          vendor: z.string().describe('Vendor the name of the vendor providing the scanner.'),
          version: z.string().describe('Version the version of the scanner.'),
        })
        .describe('Scanner is the spec for a scanner generating a security assessment report.'),
      summary: z
        .object({
          criticalCount: z
            .int()
            .describe('CriticalCount is the number of failed checks with critical severity.'),
          highCount: z.int().describe('HighCount is the number of failed checks with high severity.'),
          lowCount: z.int().describe('LowCount is the number of failed check with low severity.'),
          mediumCount: z.int().describe('MediumCount is the number of failed checks with medium severity.'),
        })
        .describe('RbacAssessmentSummary counts failed checks by severity.'),
    }),
  })
  .meta({ 'x-kubernetes-preserve-unknown-fields': true })
  .describe('RbacAssessmentReport is a specification for the RbacAssessmentReport resource.');

export const ClusterComplianceReportSchema = z
  .looseObject({
    apiVersion: z
      .string()
      .describe(
        'APIVersion defines the versioned schema of this representation of an object.\nServers should convert recognized schemas to the latest internal value, and\nmay reject unrecognized values.\nMore info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources',
      )
      .optional(),
    kind: z
      .string()
      .describe(
        'Kind is a string value representing the REST resource this object represents.\nServers may infer this from the endpoint the client submits requests to.\nCannot be updated.\nIn CamelCase.\nMore info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds',
      )
      .optional(),
    metadata: z.looseObject({}).optional(),
    spec: z
      .object({
        compliance: z.object({
          controls: z
            .array(
              z
                .object({
                  checks: z
                    .array(
                      z
                        .object({
                          id: z.string().describe('id define the check id as produced by scanner'),
                        })
                        .describe('SpecCheck represent the scanner who perform the control check'),
                    )
                    .optional(),
                  commands: z
                    .array(
                      z
                        .object({
                          id: z.string().describe('id define the commands id'),
                        })
                        .describe('Commands represent the commands to be executed by the node-collector'),
                    )
                    .optional(),
                  defaultStatus: z
                    .enum(['PASS', 'WARN', 'FAIL'])
                    .describe('define the default value for check status in case resource not found')
                    .optional(),
                  description: z.string().optional(),
                  id: z.string().describe('id define the control check id'),
                  name: z.string(),
                  severity: z
                    .enum(['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'])
                    .describe('define the severity of the control'),
                })
                .describe('Control represent the cps controls data and mapping checks'),
            )
            .describe('Control represent the cps controls data and mapping checks'),
          description: z.string(),
          id: z.string(),
          platform: z.string(),
          relatedResources: z.array(z.string()),
          title: z.string(),
          type: z.string(),
          version: z.string(),
        }),
        cron: z
          .string()
          .regex(
            new RegExp(
              '^(((([\\*]{1}){1})|((\\*\\/){0,1}(([0-9]{1}){1}|(([1-5]{1}){1}([0-9]{1}){1}){1}))) ((([\\*]{1}){1})|((\\*\\/){0,1}(([0-9]{1}){1}|(([1]{1}){1}([0-9]{1}){1}){1}|([2]{1}){1}([0-3]{1}){1}))) ((([\\*]{1}){1})|((\\*\\/){0,1}(([1-9]{1}){1}|(([1-2]{1}){1}([0-9]{1}){1}){1}|([3]{1}){1}([0-1]{1}){1}))) ((([\\*]{1}){1})|((\\*\\/){0,1}(([1-9]{1}){1}|(([1-2]{1}){1}([0-9]{1}){1}){1}|([3]{1}){1}([0-1]{1}){1}))|(jan|feb|mar|apr|may|jun|jul|aug|sep|okt|nov|dec)) ((([\\*]{1}){1})|((\\*\\/){0,1}(([0-7]{1}){1}))|(sun|mon|tue|wed|thu|fri|sat)))$',
            ),
          )
          .describe('cron define the intervals for report generation'),
        reportType: z.enum(['summary', 'all']),
      })
      .describe('ReportSpec represent the compliance specification')
      .optional(),
    status: z
      .object({
        detailReport: z
          .looseObject({
            description: z.string().optional(),
            id: z.string().optional(),
            relatedVersion: z.array(z.string()).optional(),
            results: z
              .array(
                z.object({
                  checks: z.array(
                    z
                      .object({
                        category: z.string().optional(),
                        checkID: z.string(),
                        description: z.string().optional(),
                        messages: z.array(z.string()).optional(),
                        remediation: z
                          .string()
                          .describe(
                            'Remediation provides description or links to external resources to remediate failing check.',
                          )
                          .optional(),
                        severity: z
                          .string()
                          .describe('Severity level of a vulnerability or a configuration audit check.'),
                        success: z.boolean(),
                        target: z.string().optional(),
                        title: z.string().optional(),
                      })
                      .describe(
                        'ComplianceCheck provides the result of conducting a single compliance step.',
                      ),
                  ),
                  description: z.string().optional(),
                  id: z.string().optional(),
                  name: z.string().optional(),
                  severity: z.string().optional(),
                  status: z.string().optional(),
                }),
              )
              .optional(),
            title: z.string().optional(),
            version: z.string().optional(),
          })
          .meta({ 'x-kubernetes-preserve-unknown-fields': true })
          .describe('ComplianceReport represents a kubernetes scan report')
          .optional(),
        summary: z
          .object({
            failCount: z.int().optional(),
            passCount: z.int().optional(),
          })
          .optional(),
        summaryReport: z
          .looseObject({
            controlCheck: z
              .array(
                z.object({
                  id: z.string().optional(),
                  name: z.string().optional(),
                  severity: z.string().optional(),
                  totalFail: z.int().optional(),
                }),
              )
              .optional(),
            id: z.string().optional(),
            title: z.string().optional(),
          })
          .meta({ 'x-kubernetes-preserve-unknown-fields': true })
          .describe('SummaryReport represents a kubernetes scan report with consolidated findings')
          .optional(),
        updateTimestamp: z.string().meta({ format: 'date-time' }),
      })
      .optional(),
  })
  .meta({ 'x-kubernetes-preserve-unknown-fields': true })
  .describe('ClusterComplianceReport is a specification for the ClusterComplianceReport resource.');

/** Known fields only (the root schemas are loose: unknown fields are preserved, not typed). */
type Known<T> = { [K in keyof T as string extends K ? never : K]: T[K] };
type WithMeta<T> = Omit<Known<T>, 'metadata' | 'apiVersion' | 'kind'> & {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
};

export type VulnerabilityReport = WithMeta<z.input<typeof VulnerabilityReportSchema>>;
export type VulnerabilityReportData = VulnerabilityReport['report'];
export type VulnerabilityItem = VulnerabilityReportData['vulnerabilities'][number];
export type VulnerabilitySummary = VulnerabilityReportData['summary'];
export type ExposedSecretReport = WithMeta<z.input<typeof ExposedSecretReportSchema>>;
export type ExposedSecretReportData = ExposedSecretReport['report'];
export type ExposedSecretItem = ExposedSecretReportData['secrets'][number];
export type SbomReport = WithMeta<z.input<typeof SbomReportSchema>>;
export type ConfigAuditReport = WithMeta<z.input<typeof ConfigAuditReportSchema>>;
export type RbacAssessmentReport = WithMeta<z.input<typeof RbacAssessmentReportSchema>>;
export type ClusterComplianceReport = WithMeta<z.input<typeof ClusterComplianceReportSchema>>;

export const VulnerabilityReportCrd: CrdDescriptor = {
  group: 'aquasecurity.github.io',
  version: 'v1alpha1',
  scope: 'Namespaced',
  names: {
    kind: 'VulnerabilityReport',
    listKind: 'VulnerabilityReportList',
    plural: 'vulnerabilityreports',
    shortNames: ['vuln', 'vulns'],
    singular: 'vulnerabilityreport',
  },
  printerColumns: [
    {
      description: 'The name of image repository',
      jsonPath: '.report.artifact.repository',
      name: 'Repository',
      type: 'string',
    },
    {
      description: 'The name of image tag',
      jsonPath: '.report.artifact.tag',
      name: 'Tag',
      type: 'string',
    },
    {
      description: 'The name of the vulnerability scanner',
      jsonPath: '.report.scanner.name',
      name: 'Scanner',
      type: 'string',
    },
    {
      description: 'The age of the report',
      jsonPath: '.metadata.creationTimestamp',
      name: 'Age',
      type: 'date',
    },
    {
      description: 'The number of critical vulnerabilities',
      jsonPath: '.report.summary.criticalCount',
      name: 'Critical',
      priority: 1,
      type: 'integer',
    },
    {
      description: 'The number of high vulnerabilities',
      jsonPath: '.report.summary.highCount',
      name: 'High',
      priority: 1,
      type: 'integer',
    },
    {
      description: 'The number of medium vulnerabilities',
      jsonPath: '.report.summary.mediumCount',
      name: 'Medium',
      priority: 1,
      type: 'integer',
    },
    {
      description: 'The number of low vulnerabilities',
      jsonPath: '.report.summary.lowCount',
      name: 'Low',
      priority: 1,
      type: 'integer',
    },
    {
      description: 'The number of unknown vulnerabilities',
      jsonPath: '.report.summary.unknownCount',
      name: 'Unknown',
      priority: 1,
      type: 'integer',
    },
  ],
  schema: VulnerabilityReportSchema,
};

export const ExposedSecretReportCrd: CrdDescriptor = {
  group: 'aquasecurity.github.io',
  version: 'v1alpha1',
  scope: 'Namespaced',
  names: {
    kind: 'ExposedSecretReport',
    listKind: 'ExposedSecretReportList',
    plural: 'exposedsecretreports',
    shortNames: ['exposedsecret', 'exposedsecrets'],
    singular: 'exposedsecretreport',
  },
  printerColumns: [
    {
      description: 'The name of image repository',
      jsonPath: '.report.artifact.repository',
      name: 'Repository',
      type: 'string',
    },
    {
      description: 'The name of image tag',
      jsonPath: '.report.artifact.tag',
      name: 'Tag',
      type: 'string',
    },
    {
      description: 'The name of the exposed secret scanner',
      jsonPath: '.report.scanner.name',
      name: 'Scanner',
      type: 'string',
    },
    {
      description: 'The age of the report',
      jsonPath: '.metadata.creationTimestamp',
      name: 'Age',
      type: 'date',
    },
    {
      description: 'The number of critical exposed secrets',
      jsonPath: '.report.summary.criticalCount',
      name: 'Critical',
      priority: 1,
      type: 'integer',
    },
    {
      description: 'The number of high exposed secrets',
      jsonPath: '.report.summary.highCount',
      name: 'High',
      priority: 1,
      type: 'integer',
    },
    {
      description: 'The number of medium exposed secrets',
      jsonPath: '.report.summary.mediumCount',
      name: 'Medium',
      priority: 1,
      type: 'integer',
    },
    {
      description: 'The number of low exposed secrets',
      jsonPath: '.report.summary.lowCount',
      name: 'Low',
      priority: 1,
      type: 'integer',
    },
  ],
  schema: ExposedSecretReportSchema,
};

export const SbomReportCrd: CrdDescriptor = {
  group: 'aquasecurity.github.io',
  version: 'v1alpha1',
  scope: 'Namespaced',
  names: {
    kind: 'SbomReport',
    listKind: 'SbomReportList',
    plural: 'sbomreports',
    shortNames: ['sbom', 'sboms'],
    singular: 'sbomreport',
  },
  printerColumns: [
    {
      description: 'The name of image repository',
      jsonPath: '.report.artifact.repository',
      name: 'Repository',
      type: 'string',
    },
    {
      description: 'The name of image tag',
      jsonPath: '.report.artifact.tag',
      name: 'Tag',
      type: 'string',
    },
    {
      description: 'The name of the sbom generation scanner',
      jsonPath: '.report.scanner.name',
      name: 'Scanner',
      type: 'string',
    },
    {
      description: 'The age of the report',
      jsonPath: '.metadata.creationTimestamp',
      name: 'Age',
      type: 'date',
    },
    {
      description: 'The number of dependencies in bom',
      jsonPath: '.report.summary.componentsCount',
      name: 'Components',
      priority: 1,
      type: 'integer',
    },
    {
      description: 'The the number of components in bom',
      jsonPath: '.report.summary.dependenciesCount',
      name: 'Dependencies',
      priority: 1,
      type: 'integer',
    },
  ],
  schema: SbomReportSchema,
};

export const ConfigAuditReportCrd: CrdDescriptor = {
  group: 'aquasecurity.github.io',
  version: 'v1alpha1',
  scope: 'Namespaced',
  names: {
    kind: 'ConfigAuditReport',
    listKind: 'ConfigAuditReportList',
    plural: 'configauditreports',
    shortNames: ['configaudit', 'configaudits'],
    singular: 'configauditreport',
  },
  printerColumns: [
    {
      description: 'The name of the config audit scanner',
      jsonPath: '.report.scanner.name',
      name: 'Scanner',
      type: 'string',
    },
    {
      description: 'The age of the report',
      jsonPath: '.metadata.creationTimestamp',
      name: 'Age',
      type: 'date',
    },
    {
      description: 'The number of failed checks with critical severity',
      jsonPath: '.report.summary.criticalCount',
      name: 'Critical',
      priority: 1,
      type: 'integer',
    },
    {
      description: 'The number of failed checks with high severity',
      jsonPath: '.report.summary.highCount',
      name: 'High',
      priority: 1,
      type: 'integer',
    },
    {
      description: 'The number of failed checks with medium severity',
      jsonPath: '.report.summary.mediumCount',
      name: 'Medium',
      priority: 1,
      type: 'integer',
    },
    {
      description: 'The number of failed checks with low severity',
      jsonPath: '.report.summary.lowCount',
      name: 'Low',
      priority: 1,
      type: 'integer',
    },
  ],
  schema: ConfigAuditReportSchema,
};

export const RbacAssessmentReportCrd: CrdDescriptor = {
  group: 'aquasecurity.github.io',
  version: 'v1alpha1',
  scope: 'Namespaced',
  names: {
    kind: 'RbacAssessmentReport',
    listKind: 'RbacAssessmentReportList',
    plural: 'rbacassessmentreports',
    shortNames: ['rbacassessment', 'rbacassessments'],
    singular: 'rbacassessmentreport',
  },
  printerColumns: [
    {
      description: 'The name of the rbac assessment scanner',
      jsonPath: '.report.scanner.name',
      name: 'Scanner',
      type: 'string',
    },
    {
      description: 'The age of the report',
      jsonPath: '.metadata.creationTimestamp',
      name: 'Age',
      type: 'date',
    },
    {
      description: 'The number of failed checks with critical severity',
      jsonPath: '.report.summary.criticalCount',
      name: 'Critical',
      priority: 1,
      type: 'integer',
    },
    {
      description: 'The number of failed checks with high severity',
      jsonPath: '.report.summary.highCount',
      name: 'High',
      priority: 1,
      type: 'integer',
    },
    {
      description: 'The number of failed checks with medium severity',
      jsonPath: '.report.summary.mediumCount',
      name: 'Medium',
      priority: 1,
      type: 'integer',
    },
    {
      description: 'The number of failed checks with low severity',
      jsonPath: '.report.summary.lowCount',
      name: 'Low',
      priority: 1,
      type: 'integer',
    },
  ],
  schema: RbacAssessmentReportSchema,
};

export const ClusterComplianceReportCrd: CrdDescriptor = {
  group: 'aquasecurity.github.io',
  version: 'v1alpha1',
  scope: 'Cluster',
  names: {
    kind: 'ClusterComplianceReport',
    listKind: 'ClusterComplianceReportList',
    plural: 'clustercompliancereports',
    shortNames: ['compliance'],
    singular: 'clustercompliancereport',
  },
  printerColumns: [
    {
      description: 'The age of the report',
      jsonPath: '.metadata.creationTimestamp',
      name: 'Age',
      type: 'date',
    },
    {
      description: 'The number of checks that failed',
      jsonPath: '.status.summary.failCount',
      name: 'Fail',
      priority: 1,
      type: 'integer',
    },
    {
      description: 'The number of checks that passed',
      jsonPath: '.status.summary.passCount',
      name: 'Pass',
      priority: 1,
      type: 'integer',
    },
  ],
  subresources: {
    status: {},
  },
  schema: ClusterComplianceReportSchema,
};

export const TRIVY_OPERATOR_CRDS: readonly CrdDescriptor[] = [
  VulnerabilityReportCrd,
  ExposedSecretReportCrd,
  SbomReportCrd,
  ConfigAuditReportCrd,
  RbacAssessmentReportCrd,
  ClusterComplianceReportCrd,
];
