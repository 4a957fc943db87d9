import Foundation

/// One line of `/proc/PID/stat` or `/proc/PID/task/TID/stat`, read once:
/// `pid (name) state ...`. The name may hold spaces and parentheses, so the
/// fields are split after its last closing parenthesis (proc(5)).
struct ProcStat {
    let name: String
    /// Fields 3 onwards: `fields[0]` is field 3 (state).
    private let fields: [Substring]

    init?(path: String) {
        guard let text = readProcFile(path), let open = text.firstIndex(of: "("), let close = text.lastIndex(of: ")"),
              text.index(close, offsetBy: 2) <= text.endIndex
        else { return nil }
        name = String(text[text.index(after: open)..<close])
        fields = text[text.index(close, offsetBy: 2)...].split(separator: " ")
    }

    /// Field `number` as proc(5) numbers them (from 1).
    func field(_ number: Int) -> Substring? { number - 3 < fields.count ? fields[number - 3] : nil }

    var state: String { field(3).map(String.init) ?? "?" }
    /// User plus system CPU time, in clock ticks.
    var cpuTicks: Int? { Int(field(14) ?? "").flatMap { user in Int(field(15) ?? "").map { user + $0 } } }
    var nice: Int? { Int(field(19) ?? "") }

    /// Each thread of `pid`, by thread id, in id order.
    static func threads(of pid: Int32) -> [(tid: String, stat: ProcStat)] {
        let directory = "/proc/\(pid)/task"
        let tids = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return tids.sorted { (Int($0) ?? 0) < (Int($1) ?? 0) }.compactMap { tid in
            ProcStat(path: "\(directory)/\(tid)/stat").map { (tid, $0) }
        }
    }
}
