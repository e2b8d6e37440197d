import Foundation
import Testing
import Verdant
import _TestSupport

/// `verdant report`, `demo --report`, `train --report` and the terminal quick looks, run as the
/// user runs them; and the demo's report rendered by a real browser.
struct ReportCLITests {
    /// The `<svg>…</svg>` elements of a page.
    static func svgElements(_ html: String) -> [String] {
        var result: [String] = []
        var rest = html[...]
        while let start = rest.range(of: "<svg "), let end = rest.range(of: "</svg>", range: start.upperBound..<rest.endIndex) {
            result.append(String(rest[start.lowerBound..<end.upperBound]))
            rest = rest[end.upperBound...]
        }
        return result
    }

    @Test("demo --report writes one self-contained page of every figure the demo has, under 2 MB; report reads the demo's folder")
    func demoReport() throws {
        let folder = try TemporaryDirectory()
        let work = folder.url.appendingPathComponent("work").path
        let page = folder.url.appendingPathComponent("demo.html").path
        let demo = try verdant(["demo", "--work-dir", work, "--report", page, "--no-energy-summary"])
        #expect(demo.status == 0, "\(demo.stderr)")
        #expect(demo.stderr.contains("report → \(page): "))
        let html = try String(contentsOfFile: page, encoding: .utf8)
        #expect(html.utf8.count < 2_000_000)
        let svgs = Self.svgElements(html)
        #expect(svgs.count >= 10)
        for svg in svgs { #expect(XMLElements(svg).wellFormed) }
        for title in ["Accuracy against energy", "Quantum kernel matrix", "RBF kernel matrix", "Loss per epoch", "Accuracy per epoch",
                      "Confusion matrix", "Power over time", "Energy by span"] {
            #expect(html.contains("<h3>\(title)</h3>"), "missing figure \(title)")
        }
        // The three models, each with its confusion matrix.
        #expect(html.components(separatedBy: "<h3>Confusion matrix</h3>").count - 1 == 3)
        #expect(!html.contains("src=\"http") && !html.contains("href=\"http"))

        // The same folder read back by `verdant report`, opened with the demo's key.
        let again = folder.url.appendingPathComponent("again.html").path
        let key = (work as NSString).appendingPathComponent("demo.key")
        let report = try verdant(["report", work, "-i", key, "-o", again])
        #expect(report.status == 0, "\(report.stderr)")
        #expect(report.stderr.contains("it is written unsealed"))
        let reread = try String(contentsOfFile: again, encoding: .utf8)
        #expect(reread.components(separatedBy: "<h3>Confusion matrix</h3>").count - 1 == 3)
        #expect(reread.contains("split again as the model records it"))

        // Without a key, or with the wrong one: the sealed inputs' exit codes, and no report.
        let none = try verdant(["report", work, "-o", folder.url.appendingPathComponent("none.html").path])
        #expect(none.status == 2 && none.stderr.contains("is sealed for X25519; give an identity"))
        let otherKey = folder.url.appendingPathComponent("other.key").path
        #expect(try verdant(["keygen", "-o", otherKey]).status == 0)
        let wrong = try verdant(["report", work, "-i", otherKey, "-o", folder.url.appendingPathComponent("wrong.html").path])
        #expect(wrong.status == 3, "\(wrong.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.url.appendingPathComponent("none.html").path))
        #expect(!FileManager.default.fileExists(atPath: folder.url.appendingPathComponent("wrong.html").path))
        // An existing report is kept without --force.
        let kept = try verdant(["report", work, "-i", key, "-o", again])
        #expect(kept.status == 2 && kept.stderr.contains("exists; use --force"))
    }

    @Test("report refuses inputs that are not Verdant's, with the input named, and writes nothing")
    func refusals() throws {
        let folder = try TemporaryDirectory()
        let foreign = try folder.write("foreign.json", "{\"rows\": 3}")
        let output = folder.url.appendingPathComponent("r.html").path
        let result = try verdant(["report", foreign, "-o", output])
        #expect(result.status == 2)
        #expect(result.stderr.contains("foreign.json: JSON with the keys rows; valid: a file Verdant writes"))
        #expect(!result.stderr.contains("Fatal error") && !result.stderr.contains("Stack"))
        #expect(!FileManager.default.fileExists(atPath: output))
        let missing = try verdant(["report", folder.url.appendingPathComponent("nothing").path, "-o", output])
        #expect(missing.status == 2 && missing.stderr.contains("no such file or folder"))
        let noInput = try verdant(["report", "-o", output])
        #expect(noInput.status == 2 && noInput.stderr.contains("give at least one input"))
        let badOutcomes = try verdant(["report", foreign, "-o", output, "--outcomes", "0"])
        #expect(badOutcomes.status == 2 && badOutcomes.stderr.contains("--outcomes must be at least 1, received 0"))
        // An array and JSON Lines are named as such (both were "neither JSON" or "does not parse").
        let array = try folder.write("array.json", "[1, 2, 3]\n")
        let arrayResult = try verdant(["report", array, "-o", output])
        #expect(arrayResult.status == 2 && arrayResult.stderr.contains("a JSON array at the top level"), "\(arrayResult.stderr)")
        let lines = try folder.write("lines.json", "{\"ranks\": 2}\n{\"ranks\": 4}\n")
        let linesResult = try verdant(["report", lines, "-o", output])
        #expect(linesResult.status == 2 && linesResult.stderr.contains("JSON Lines (2 objects, one per line)"), "\(linesResult.stderr)")
        #expect(!FileManager.default.fileExists(atPath: output))
    }

    @Test("run --json into report: the counts histogram; run --histogram draws the top outcomes in the terminal")
    func runHistogram() throws {
        let folder = try TemporaryDirectory()
        let qasm = try folder.write("t.qasm", "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[3];\ncreg c[3];\nh q[0];\ncx q[0],q[1];\nry(0.7) q[2];\nmeasure q -> c;\n")
        let chart = try verdant(["run", qasm, "--histogram", "--seed", "7", "--no-energy-summary"])
        #expect(chart.status == 0)
        let lines = chart.stdout.split(separator: "\n").filter { $0.contains("│") }
        #expect(lines.count == 4)
        // The most frequent first; each line ends with its count and share of the 1024 shots.
        let counts = lines.compactMap { line in line.split(separator: " ").dropLast(1).last.flatMap { Int($0) } }
        #expect(counts == counts.sorted(by: >) && counts.reduce(0, +) == 1024)
        let json = try verdant(["run", qasm, "--json", "--seed", "7", "--no-energy-summary"])
        let runFile = try folder.write("t.json", json.stdout)
        let output = folder.url.appendingPathComponent("t.html").path
        let report = try verdant(["report", runFile, "-o", output])
        #expect(report.status == 0, "\(report.stderr)")
        let html = try String(contentsOfFile: output, encoding: .utf8)
        let svg = try #require(Self.svgElements(html).first)
        let bars = XMLElements(svg).withClass("bar")
        #expect(bars.count == 4)
        #expect(bars.compactMap { $0.title?.split(separator: " ").last.flatMap { Int($0) } }.sorted(by: >) == counts)
        // A circuit that measures nothing has no counts to draw.
        let plain = try folder.write("p.qasm", "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\nh q[0];\n")
        let refused = try verdant(["run", plain, "--histogram"])
        #expect(refused.status == 2 && refused.stderr.contains("--histogram draws counts"))
    }

    @Test("train prints the loss as a sparkline; train --report draws decision regions for two features, sealed with the model")
    func trainReport() throws {
        let folder = try TemporaryDirectory()
        let vqc = try verdant(["train", "--data", "builtin:iris", "--model", "vqc", "--epochs", "3", "--layers", "1", "-o",
                               folder.url.appendingPathComponent("v.model").path, "--no-energy-summary"])
        #expect(vqc.status == 0, "\(vqc.stderr)")
        let line = try #require(vqc.stdout.split(separator: "\n").first { $0.hasPrefix("loss ") })
        #expect(line.contains("(3 epochs"))
        #expect(line.unicodeScalars.filter { (0x2581...0x2588).contains($0.value) }.count == 3)

        let page = folder.url.appendingPathComponent("adhoc.html").path
        let adhoc = try verdant(["train", "--data", "builtin:adhoc", "--model", "qsvm", "-o", folder.url.appendingPathComponent("a.model").path,
                                 "--report", page, "--no-energy-summary"])
        #expect(adhoc.status == 0, "\(adhoc.stderr)")
        let html = try String(contentsOfFile: page, encoding: .utf8)
        #expect(html.contains("<h3>Decision regions</h3>") && html.contains("<h3>Quantum kernel matrix</h3>") && html.contains("<h3>Power over time</h3>"))
        // Sealed outputs: the report is sealed like the model.
        let key = folder.url.appendingPathComponent("k.key").path
        #expect(try verdant(["keygen", "--symmetric", "-o", key]).status == 0)
        let sealedPage = folder.url.appendingPathComponent("sealed.html").path
        let sealed = try verdant(["train", "--data", "builtin:adhoc", "--model", "svm-rbf", "-o", folder.url.appendingPathComponent("s.model").path,
                                  "--key-file", key, "--report", sealedPage, "--no-energy-summary"])
        #expect(sealed.status == 0, "\(sealed.stderr)")
        #expect(SealedFile.isSealed(atPath: sealedPage))
        let opened = try SealedFile.contents(atPath: sealedPage, identities: [.key(try RawKey(contentsOfFile: key))], expecting: "text/html")
        #expect(String(decoding: opened, as: UTF8.self).contains("<h3>Decision regions</h3>"))
    }
}

/// Why Chromium could not render a page.
struct BrowserFailure: Error, CustomStringConvertible {
    let description: String
}

/// Chromium, when installed (CI's .ci/run installs Debian's package).
enum Chromium {
    static let path: String? = {
        let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init)
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            if let found = paths.map({ "\($0)/\(name)" }).first(where: { FileManager.default.isExecutableFile(atPath: $0) }) { return found }
        }
        return nil
    }()

    /// Renders `page` headless at `width` × `height` to a PNG and returns the image and what the
    /// browser printed on standard error.
    static func screenshot(_ page: String, to png: String, width: Int, height: Int, dark: Bool = false, profile: String) throws -> (PNGImage, String) {
        guard let path else { throw BrowserFailure(description: "no chromium") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        var arguments = ["--headless", "--disable-gpu", "--hide-scrollbars", "--enable-logging=stderr", "--v=0", "--user-data-dir=\(profile)",
                         "--window-size=\(width),\(height)", "--screenshot=\(png)"]
        if getuid() == 0 { arguments.append("--no-sandbox") }  // Chromium refuses to run as root with its sandbox
        if dark { arguments.append("--force-dark-mode") }
        process.arguments = arguments + [URL(fileURLWithPath: page).absoluteString]
        let err = Pipe()
        process.standardError = err
        process.standardOutput = err
        try process.run()
        let output = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let log = String(decoding: output, as: UTF8.self)
        guard process.terminationStatus == 0 else { throw BrowserFailure(description: "chromium exited \(process.terminationStatus): \(log.suffix(2000))") }
        return (try PNGImage(data: try Data(contentsOf: URL(fileURLWithPath: png))), log)
    }

    /// The lines of Chromium's log about the page itself: console messages (a blocked fetch is
    /// one: the page's Content-Security-Policy forbids every fetch), uncaught errors, failed loads.
    static func pageErrors(_ log: String) -> [String] {
        log.split(separator: "\n").map(String.init).filter { line in
            line.contains(":CONSOLE") || line.contains("Uncaught") || line.contains("Failed to load") || line.contains("net::ERR")
        }
    }
}

struct BrowserTests {
    @Test("the demo's report in a real browser: the image is the viewport's size, not blank, in light and dark, and Chromium reports no error for the page",
          .enabled(if: Chromium.path != nil, "chromium is not installed here; .ci/run installs it (apt-get install chromium) so CI runs this test"))
    func demoReportInChromium() throws {
        let folder = try TemporaryDirectory()
        let page = folder.url.appendingPathComponent("demo.html").path
        let demo = try verdant(["demo", "--work-dir", folder.url.appendingPathComponent("work").path, "--report", page, "--no-energy-summary"])
        #expect(demo.status == 0, "\(demo.stderr)")
        for dark in [false, true] {
            let png = folder.url.appendingPathComponent(dark ? "dark.png" : "light.png").path
            let (image, log) = try Chromium.screenshot(page, to: png, width: 1280, height: 900, dark: dark,
                                                       profile: folder.url.appendingPathComponent("profile").path)
            #expect(image.width == 1280 && image.height == 900)
            #expect(Chromium.pageErrors(log).isEmpty, "Chromium reported: \(Chromium.pageErrors(log))")
            // Not blank: many colours, and a good share of pixels unlike the background.
            let background = image.rgb(2, 2)
            var distinct = Set<Int>()
            var different = 0
            for y in Swift.stride(from: 0, to: image.height, by: 3) {
                for x in Swift.stride(from: 0, to: image.width, by: 3) {
                    let (r, g, b) = image.rgb(x, y)
                    distinct.insert(Int(r) << 16 | Int(g) << 8 | Int(b))
                    if (r, g, b) != background { different += 1 }
                }
            }
            let sampled = (image.height / 3 + 1) * (image.width / 3 + 1)
            #expect(distinct.count > 100, "\(distinct.count) colours")
            #expect(Double(different) / Double(sampled) > 0.08, "\(different) of \(sampled) pixels differ from the background")
            // The theme: a light page has a light background, a dark one (prefers-color-scheme: dark) a dark one.
            let brightness = (Int(background.0) + Int(background.1) + Int(background.2)) / 3
            #expect(dark ? brightness < 60 : brightness > 200, "background \(background)")
        }
        // The check can fail: a page like ours (the same Content-Security-Policy) that tries to
        // fetch an image gets a console error from Chromium.
        let control = try folder.write("control.html", """
            <!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
            </head><body><p>control</p><img src="http://example.invalid/x.png" alt=""></body></html>
            """)
        let (_, log) = try Chromium.screenshot(control, to: folder.url.appendingPathComponent("control.png").path, width: 400, height: 300,
                                               profile: folder.url.appendingPathComponent("profile").path)
        #expect(!Chromium.pageErrors(log).isEmpty, "a blocked fetch left no trace in Chromium's log")
    }
}
