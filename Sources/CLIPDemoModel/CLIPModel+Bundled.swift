import CLIP
import Foundation

// The demonstration model is a module of its own (product `CLIPDemoModel`), so that `import CLIP`
// carries no model: `import CLIPDemoModel` next to `import CLIP` adds these two members.
extension CLIPModel {
    /// The folder of the demonstration model shipped with this package (a small CLIP trained on
    /// synthetic shapes and colors; see its model card), or `nil` if it is not installed.
    public static var bundledDemonstrationModelDirectory: URL? {
        guard let resources = Bundle.module.url(forResource: "Resources", withExtension: nil) else { return nil }
        let directory = resources.appendingPathComponent("mini-clip")
        return FileManager.default.fileExists(atPath: directory.appendingPathComponent(CLIPModelDirectory.FileName.configuration).path)
            ? directory : nil
    }

    /// Loads the demonstration model shipped with this package: it runs offline with no set-up,
    /// but it only knows synthetic shapes and colors. Use `init(contentsOf:precision:)` or
    /// `init(named:hub:progress:)` with a real checkpoint for photographs.
    /// - Throws: `CLIPModelError` if the bundled files are missing or damaged.
    public static func bundledDemonstrationModel() throws -> CLIPModel {
        guard let directory = bundledDemonstrationModelDirectory else {
            throw CLIPModelError.missingComponent(
                name: "bundled demonstration model",
                reason: "the CLIPDemoModel module's Resources/mini-clip folder is missing; pass a model directory instead")
        }
        return try CLIPModel(contentsOf: directory)
    }
}
