// Module TextTokenizer: see ARCHITECTURE.md.
