// Package clitest checks the stack and secret-config handling against the real Pulumi CLI:
// stacks on a local file backend with the passphrase secrets provider, secrets stored only
// as ciphertext, and the program (under infra/infratest's mocks) run on the CLI's own view
// of the config, so the CLI and the program agree; and the real engine running the real
// program (Automation API, inline) up to the provider plugins, which cannot be installed
// here. tests/run/infra.sh builds the CLI and sets TODO_PULUMI_CLI.
package clitest
