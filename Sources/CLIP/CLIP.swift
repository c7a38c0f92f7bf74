// The facade module: `import CLIP` brings in every module of the package.
@_exported import TensorCore
@_exported import SafeTensors
@_exported import TextTokenizer
@_exported import ImageProcessing
@_exported import CLIPModels
@_exported import ModelHub
