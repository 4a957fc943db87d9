public import ArgumentParser
public import Ringside

/// `--workers N|auto`
enum WorkerCount: ExpressibleByArgument {
    case auto
    case fixed(Int)

    init?(argument: String) {
        if argument == "auto" {
            self = .auto
        } else if let count = Int(argument), count > 0 {
            self = .fixed(count)
        } else {
            return nil
        }
    }

    var count: Int {
        switch self {
        case .auto: ServerConfiguration.availableCPUs
        case .fixed(let count): count
        }
    }
}

extension ServerConfiguration.Engine: ExpressibleByArgument {}
