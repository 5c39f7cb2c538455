// Builds the Kyverno CLI from its published Go module, for bench/policy.mjs (kyverno test on the same
// suite). Not part of Palisade: nothing imports it. Run scripts/kyverno/build.sh.
module palisade.local/kyverno-cli

go 1.26.6

require github.com/kyverno/kyverno v1.19.1

// the same replace line as github.com/kyverno/kyverno v1.19.1's own go.mod (go build ignores a
// dependency's replace directives, so the main module must repeat it)
replace k8s.io/pod-security-admission => github.com/kyverno/pod-security-admission v0.0.0-20251031094455-46f20778634f
