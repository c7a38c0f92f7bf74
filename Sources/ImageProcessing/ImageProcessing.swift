// Module ImageProcessing: see ARCHITECTURE.md.
