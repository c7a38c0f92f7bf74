#if Server
import CLIP
import CLIPSupport
import Foundation

// The bodies of the `/v1` POST routes, read and checked against a ``ServerConfiguration``
// before any model work. Reading a body needs no model and no HTTP connection, so the routes,
// the tests and the fuzzer (Fuzz/Sources/FuzzServerRequest) all run this same code.

/// One item of a `/v1/embeddings` input: a text, or an image decoded from the request.
package enum EmbeddingInput {
    case text(String)
    case image(RGBImage)
}

/// A `/v1/embeddings` body: `{"input": ..., "model"?, "encoding_format"?, "user"?, "dimensions"?}`.
package struct EmbeddingsRequest {
    /// `encoding_format`: JSON numbers, or base64 of little-endian Float32.
    package enum Format: String {
        case float, base64
    }

    static let keys: Set<String> = ["model", "input", "encoding_format", "user", "dimensions"]

    /// The inputs in request order, images decoded, at most ``ServerConfiguration/maximumInputs``.
    package let inputs: [EmbeddingInput]
    package let format: Format

    /// Reads `body` for a model whose embeddings have `embeddingDimension` values.
    /// - Throws: 400 (syntax, unknown or mistyped field), 404 `model_not_found`, 413 (a limit).
    package init(body: [UInt8], configuration: ServerConfiguration, embeddingDimension: Int) throws(APIError) {
        let reader = RequestReader(configuration: configuration)
        let object = try RequestObject(parsing: body, allowedKeys: Self.keys)
        try reader.checkModel(object)
        _ = try object.string("user")
        let format = try object.string("encoding_format") ?? "float"
        guard let known = Format(rawValue: format) else {
            throw APIError.invalid("encoding_format must be \"float\" or \"base64\", got \(format.quotedForMessage)",
                                   param: "encoding_format")
        }
        if let dimensions = try object.integer("dimensions", in: 1...Int(Int32.max)), dimensions != embeddingDimension {
            throw APIError.invalid("this model's embeddings have \(embeddingDimension) dimensions; dimensions \(dimensions) is not supported",
                                   param: "dimensions")
        }
        self.format = known
        inputs = try reader.inputs(object["input"])
    }
}

/// A `/v1/classify` body: `{"image", "labels", "templates"?, "top"?, "model"?}`.
package struct ClassifyRequest {
    /// Distinct, non-empty labels.
    package let labels: [String]
    /// The request's templates, else the defaults the route passed.
    package let templates: [String]
    package let top: Int?
    package let image: RGBImage

    /// Reads `body`; `defaultTemplates` stand in when the request gives none.
    /// - Throws: 400, 404 `model_not_found`, 413 (`text_too_long`, `caption_too_long`,
    ///   `too_many_captions`, `image_too_large`).
    package init(body: [UInt8], configuration: ServerConfiguration, defaultTemplates: [String]) throws(APIError) {
        let reader = RequestReader(configuration: configuration)
        let object = try RequestObject(parsing: body, allowedKeys: ["model", "image", "labels", "templates", "top"])
        try reader.checkModel(object)
        guard let labels = try object.strings("labels") else {
            throw APIError.invalid("labels is required: an array of label strings", param: "labels", code: "missing_parameter")
        }
        guard !labels.isEmpty else { throw APIError.invalid("labels must not be empty", param: "labels") }
        var seen = Set<String>()
        for (index, label) in labels.enumerated() {
            guard !label.isEmpty else { throw APIError.invalid("labels[\(index)] is empty", param: "labels[\(index)]") }
            guard seen.insert(label).inserted else {
                throw APIError.invalid("labels[\(index)] repeats \(label.quotedForMessage)", param: "labels[\(index)]")
            }
            try reader.checkText(label, param: "labels[\(index)]")
        }
        let templates = try object.strings("templates") ?? defaultTemplates
        guard !templates.isEmpty else { throw APIError.invalid("templates must not be empty", param: "templates") }
        for (index, template) in templates.enumerated() { try reader.checkText(template, param: "templates[\(index)]") }
        // Every `{}` of a template takes the label: bound the captions before they are built (a
        // 64 KiB label in a template of 32,768 `{}` would make a 2 GiB caption).
        let longestLabel = labels.map(\.utf8.count).max() ?? 0
        for (index, template) in templates.enumerated() {
            let placeholders = template.utf8.count - template.replacingOccurrences(of: "{}", with: "").utf8.count
            let captionBytes = template.utf8.count + placeholders / 2 * max(0, longestLabel - 2)
            guard captionBytes <= configuration.maximumTextBytes else {
                throw APIError.tooLarge("templates[\(index)] with the longest label makes a caption of \(captionBytes) bytes, more than the limit of \(configuration.maximumTextBytes)",
                                        param: "templates[\(index)]", code: "caption_too_long")
            }
        }
        let captions = labels.count * templates.count
        guard captions <= configuration.maximumCaptions else {
            throw APIError.tooLarge("\(labels.count) labels × \(templates.count) templates make \(captions) captions, more than the limit of \(configuration.maximumCaptions)",
                                    param: "labels", code: "too_many_captions")
        }
        top = try object.integer("top", in: 1...Int(Int32.max))
        guard let imageText = try object.string("image") else {
            throw APIError.invalid("image is required (base64 or a data URL)", param: "image", code: "missing_parameter")
        }
        var budget = configuration.maximumRequestPixelCount
        image = try reader.images.image(from: imageText, param: "image", budget: &budget)
        self.labels = labels
        self.templates = templates
    }
}

/// A `/v1/search` body: `{"text"}` or `{"image"}`, with `"top"?` (default 10) and `"model"?`.
package struct SearchRequest {
    /// What to search for.
    package enum Query {
        case text(String)
        case image(RGBImage)
    }

    package let query: Query
    /// 1 ... ``ServerConfiguration/maximumTop``.
    package let top: Int

    /// Reads `body`.
    /// - Throws: 400 (neither or both of `text` and `image`, ...), 404 `model_not_found`, 413.
    package init(body: [UInt8], configuration: ServerConfiguration) throws(APIError) {
        let reader = RequestReader(configuration: configuration)
        let object = try RequestObject(parsing: body, allowedKeys: ["model", "text", "image", "top"])
        try reader.checkModel(object)
        top = try object.integer("top", in: 1...configuration.maximumTop) ?? 10
        switch (try object.string("text"), try object.string("image")) {
        case let (text?, nil):
            try reader.checkText(text, param: "text")
            query = .text(text)
        case let (nil, imageText?):
            var budget = configuration.maximumRequestPixelCount
            query = .image(try reader.images.image(from: imageText, param: "image", budget: &budget))
        case (nil, nil):
            throw APIError.invalid("give \"text\" or \"image\"", param: "text", code: "missing_parameter")
        case (.some, .some):
            throw APIError.invalid("give \"text\" or \"image\", not both", param: "image")
        }
    }
}

/// The checks the request bodies share, with the configuration's limits.
struct RequestReader {
    let configuration: ServerConfiguration
    let images: RequestImageDecoder

    init(configuration: ServerConfiguration) {
        self.configuration = configuration
        images = RequestImageDecoder(maximumPixelCount: configuration.maximumPixelCount)
    }

    /// Checks a request's optional `model` field against the served model.
    func checkModel(_ object: RequestObject) throws(APIError) {
        guard let name = try object.string("model") else { return }
        guard name == configuration.modelName else {
            throw APIError.notFound("no model \(name.quotedForMessage); this server serves \(configuration.modelName.quotedForMessage)",
                                    param: "model", code: "model_not_found")
        }
    }

    /// 413 `text_too_long` above ``ServerConfiguration/maximumTextBytes``.
    func checkText(_ text: String, param: String) throws(APIError) {
        let bytes = text.utf8.count
        guard bytes <= configuration.maximumTextBytes else {
            throw APIError.tooLarge("\(param) has \(bytes) bytes, more than the limit of \(configuration.maximumTextBytes)",
                                    param: param, code: "text_too_long")
        }
    }

    /// Reads `input`: strictly typed, at most ``ServerConfiguration/maximumInputs`` items,
    /// each text at most ``ServerConfiguration/maximumTextBytes``, images decoded here (within
    /// the per-image and per-request pixel limits). In a cancelled task (the request timed out)
    /// it stops before the next item: 503 `cancelled`.
    func inputs(_ input: JSONValue?) throws(APIError) -> [EmbeddingInput] {
        guard let input else { throw APIError.invalid("input is required", param: "input", code: "missing_parameter") }
        switch input {
        case let .string(text):
            try checkText(text, param: "input")
            return [.text(text)]
        case let .array(items):
            guard !items.isEmpty else { throw APIError.invalid("input must not be an empty array", param: "input") }
            guard items.count <= configuration.maximumInputs else {
                throw APIError.tooLarge("input has \(items.count) items, more than the limit of \(configuration.maximumInputs)",
                                        param: "input", code: "too_many_inputs")
            }
            var inputs: [EmbeddingInput] = []
            inputs.reserveCapacity(items.count)
            var budget = configuration.maximumRequestPixelCount
            for (index, item) in items.enumerated() {
                // Past the request's timeout the rest is not decoded.
                if Task.isCancelled { throw APIError.cancelled }
                inputs.append(try readItem(item, param: "input[\(index)]", budget: &budget))
            }
            return inputs
        default:
            throw APIError.invalid("input must be a string or an array, not \(input.kindName)", param: "input", code: "invalid_type")
        }
    }

    private func readItem(_ item: JSONValue, param: String, budget: inout Int) throws(APIError) -> EmbeddingInput {
        switch item {
        case let .string(text):
            try checkText(text, param: param)
            return .text(text)
        case let .object(members):
            guard let kind = members["type"] else {
                throw APIError.invalid("\(param) needs a \"type\": \"text\" or \"image\"", param: "\(param).type",
                                       code: "missing_parameter")
            }
            switch try kind.string(param: "\(param).type") {
            case "text":
                try Self.checkKeys(members, allowed: ["type", "text"], param: param)
                guard let value = members["text"] else {
                    throw APIError.invalid("\(param).text is required", param: "\(param).text", code: "missing_parameter")
                }
                let text = try value.string(param: "\(param).text")
                try checkText(text, param: "\(param).text")
                return .text(text)
            case "image":
                try Self.checkKeys(members, allowed: ["type", "image"], param: param)
                guard let value = members["image"] else {
                    throw APIError.invalid("\(param).image is required", param: "\(param).image", code: "missing_parameter")
                }
                return .image(try images.image(from: try value.string(param: "\(param).image"), param: "\(param).image",
                                               budget: &budget))
            case let other:
                throw APIError.invalid("\(param).type must be \"text\" or \"image\", got \(other.quotedForMessage)",
                                       param: "\(param).type")
            }
        default:
            throw APIError.invalid("\(param) must be a string or an object {\"type\": \"image\", \"image\": ...}, not \(item.kindName)",
                                   param: param, code: "invalid_type")
        }
    }

    static func checkKeys(_ members: [String: JSONValue], allowed: Set<String>, param: String) throws(APIError) {
        if let unknown = members.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw APIError.invalid("unknown field \(unknown.quotedForMessage) in \(param)", param: "\(param).\(unknown)",
                                   code: "unknown_parameter")
        }
    }
}
#endif
