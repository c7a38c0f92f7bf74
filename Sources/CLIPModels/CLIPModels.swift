// Module CLIPModels: see ARCHITECTURE.md.
