#if Server
import CLIP
import Foundation
import Hummingbird
import Prometheus

/// The server's Prometheus metrics, in one `PrometheusCollectorRegistry` that `/metrics` renders:
///
/// - `clip_http_requests_total{route,method,status}`: requests answered;
/// - `clip_http_request_duration_seconds{route}`: a latency histogram;
/// - `clip_batch_inputs{kind}`: inputs per model call (a histogram, from the batcher's events);
/// - `clip_batch_requests{kind}`: requests merged into one model call (a histogram);
/// - `clip_batch_duration_seconds{kind}`: the time of each model call;
/// - `clip_queue_inputs`: inputs waiting in the batcher when scraped.
public final class ServerMetrics: Sendable {
    /// The registry every metric is in.
    public let registry: PrometheusCollectorRegistry
    private let queueDepth: Gauge

    static let latencyBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(10),
        .seconds(30), .seconds(60),
    ]
    static let sizeBuckets: [Double] = [1, 2, 4, 8, 16, 32, 64, 128, 256]

    /// Metrics in a registry of their own.
    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        queueDepth = registry.makeGauge(descriptor: MetricNameDescriptor(
            namespace: "clip", metricName: "queue", unitName: "inputs",
            helpText: "Inputs waiting in the embedding batcher"))
    }

    /// Counts one answered request and its latency.
    func recordRequest(route: String, method: HTTPRequest.Method, status: HTTPResponse.Status, duration: Duration) {
        registry.makeCounter(
            descriptor: MetricNameDescriptor(namespace: "clip", subsystem: "http", metricName: "requests", unitName: "total",
                                             helpText: "HTTP requests answered, by route, method and status"),
            labels: [("route", route), ("method", method.rawValue), ("status", String(status.code))]
        ).increment()
        registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(namespace: "clip", subsystem: "http", metricName: "request_duration",
                                             unitName: "seconds", helpText: "HTTP request latency, by route"),
            labels: [("route", route)], buckets: Self.latencyBuckets
        ).record(duration)
    }

    /// Records one model call of the batcher (pass as its observer).
    public func record(_ event: EmbeddingBatcher.Event) {
        switch event {
        case let .batch(kind, inputs, requests, seconds):
            let label = [("kind", kind == .text ? "text" : "image")]
            registry.makeValueHistogram(
                descriptor: MetricNameDescriptor(namespace: "clip", subsystem: "batch", metricName: "inputs", unitName: "",
                                                 helpText: "Inputs per model call"),
                labels: label, buckets: Self.sizeBuckets
            ).record(Double(inputs))
            registry.makeValueHistogram(
                descriptor: MetricNameDescriptor(namespace: "clip", subsystem: "batch", metricName: "requests", unitName: "",
                                                 helpText: "Requests merged into one model call"),
                labels: label, buckets: Self.sizeBuckets
            ).record(Double(requests))
            registry.makeDurationHistogram(
                descriptor: MetricNameDescriptor(namespace: "clip", subsystem: "batch", metricName: "duration",
                                                 unitName: "seconds", helpText: "Time of one model call"),
                labels: label, buckets: Self.latencyBuckets
            ).record(.nanoseconds(Int64((seconds * 1e9).rounded())))
        }
    }

    /// The exposition text, with the queue gauge set to `queuedInputs` first.
    func render(queuedInputs: Int?) -> [UInt8] {
        if let queuedInputs { queueDepth.set(Double(queuedInputs)) }
        return registry.emitToBuffer()
    }
}
#endif
