// Package house checks the import rules of docs/architecture.md ("Layers and
// what each may import") against the parsed imports of the module's sources.
//
// The rules, each checked over the non-test files of every package:
//
//   - layers: a package imports only packages of its own layer or a lower one
//     (the ranks in Layers);
//   - gin and its contrib packages only in the HTTP packages (HTTP);
//   - the MongoDB driver and FerretDB only in models and its sub-packages;
//   - models only in the services, the composition root and the harnesses;
//   - config only in the composition root, main and the bench (ConfigUsers);
//   - services/signing imports only the standard library, and clients/sign
//     only the standard library and services/signing (Lean), so that the
//     signing tool links no database.
package house
