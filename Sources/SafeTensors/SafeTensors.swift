// Module SafeTensors: see ARCHITECTURE.md.
