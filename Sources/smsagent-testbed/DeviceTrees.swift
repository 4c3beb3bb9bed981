/// A USB tty interface of a fake device.
struct FakeInterface {
    var number: Int
    var tty: String               // ttyUSB2 / ttyACM0
    var driver: String            // option / cdc_acm / ftdi_sio …
    var interfaceClass = "ff", subclass = "ff", proto = "ff"
    var behaviour: PortBehaviour
    var properties: [String: String] = [:]
}

/// A fake USB device shaped like a real one (sysfs attributes and udev properties).
struct FakeUSBDevice {
    var port: String              // USB topology name: "1-1", "1-2"
    var vendorID: String
    var productID: String
    var manufacturer: String
    var product: String
    var serial: String?
    var interfaces: [FakeInterface]
    var deviceProperties: [String: String] = [:]

    var syspath: String { "/sys/devices/pci0000:00/0000:00:14.0/usb1/\(port)" }
    func interfacePath(_ i: FakeInterface) -> String { "\(syspath)/\(port):1.\(i.number)" }
    func ttyPath(_ i: FakeInterface) -> String {
        i.tty.hasPrefix("ttyACM") ? "\(interfacePath(i))/tty/\(i.tty)" : "\(interfacePath(i))/\(i.tty)/tty/\(i.tty)"
    }
    /// Every syspath of the tree (for unplugging).
    var allSyspaths: [String] { [syspath] + interfaces.flatMap { [interfacePath($0), ttyPath($0)] } }

    /// umockdev's text format (`P:`, `N:`, `E:`, `A:`, `L:`), parents first.
    var umockdevDescription: String {
        let devnum = (Int(port.split(separator: "-").last ?? "1") ?? 1) + 1
        var text = """
        P: /devices/pci0000:00/0000:00:14.0/usb1/\(port)
        E: SUBSYSTEM=usb
        E: DEVTYPE=usb_device
        E: DRIVER=usb
        E: ID_VENDOR_ID=\(vendorID)
        E: ID_MODEL_ID=\(productID)
        A: idVendor=\(vendorID)
        A: idProduct=\(productID)
        A: manufacturer=\(manufacturer)
        A: product=\(product)
        A: busnum=1
        A: devnum=\(devnum)
        A: bDeviceClass=00

        """
        if let serial { text += "A: serial=\(serial)\n" }
        for (key, value) in deviceProperties.sorted(by: { $0.key < $1.key }) { text += "E: \(key)=\(value)\n" }
        text += "\n"
        for (index, i) in interfaces.enumerated() {
            let ifnum = i.number < 10 ? "0\(i.number)" : "\(i.number)"
            text += """
            P: \(String(interfacePath(i).dropFirst(4)))
            E: SUBSYSTEM=usb
            E: DEVTYPE=usb_interface
            E: DRIVER=\(i.driver)
            A: bInterfaceNumber=\(ifnum)
            A: bInterfaceClass=\(i.interfaceClass)
            A: bInterfaceSubClass=\(i.subclass)
            A: bInterfaceProtocol=\(i.proto)
            L: driver=../../../../../../bus/usb/drivers/\(i.driver)


            """
            let major = i.tty.hasPrefix("ttyACM") ? 166 : 188
            let minor = Int(i.tty.drop { !$0.isNumber }) ?? index
            let byID = "/dev/serial/by-id/usb-\(manufacturer)_\(product)_\(serial ?? "0")-if\(ifnum)".replacingSpaces()
            var links = [byID, "/dev/serial/by-path/pci-0000:00:14.0-usb-0:\(port.dropFirst(2)):1.\(i.number)"]
            if let link = i.properties["SMSAGENT_LINK"] { links.append(link) }
            text += """
            P: \(String(ttyPath(i).dropFirst(4)))
            N: \(i.tty)
            E: SUBSYSTEM=tty
            E: DEVNAME=/dev/\(i.tty)
            E: MAJOR=\(major)
            E: MINOR=\(minor)
            E: ID_USB_INTERFACE_NUM=\(ifnum)
            E: ID_USB_DRIVER=\(i.driver)
            E: DEVLINKS=\(links.joined(separator: " "))
            A: dev=\(major):\(minor)

            """
            for (key, value) in i.properties.sorted(by: { $0.key < $1.key }) where key != "SMSAGENT_LINK" {
                text += "E: \(key)=\(value)\n"
            }
            text += "\n"
        }
        return text
    }
}

extension String {
    func replacingSpaces() -> String { String(map { $0 == " " ? "_" : $0 }) }
}

import Simulator

/// The simulated modem behind a fake device's AT port.
struct FakeIdentity {
    var profile: ModemProfile
    var imei: String
    var imsi: String
    var iccid: String

    var configuration: SimulatorConfiguration {
        var configuration = SimulatorConfiguration.fast
        configuration.imei = imei
        configuration.imsi = imsi
        configuration.iccid = iccid
        configuration.name = "sim-\(imei.suffix(4))"
        return configuration
    }
}

/// Device trees of real modems (interface layouts as the vendors document them).
enum Fixtures {
    static let huaweiIdentity = FakeIdentity(profile: .huawei, imei: "861234567890123",
                                             imsi: "208011234567890", iccid: "8933011234567890123")
    static let simcomIdentity = FakeIdentity(profile: .sim7600, imei: "862222222222222", imsi: "208102222222222", iccid: "89331022222222222222")
    static let quectelIdentity = FakeIdentity(profile: .quectel, imei: "863333333333333",
                                              imsi: "208153333333333", iccid: "89331533333333333333")
    static let acmIdentity = FakeIdentity(profile: .generic, imei: "864444444444444",
                                          imsi: "208204444444444", iccid: "89332044444444444444")

    /// Huawei E3372 in stick mode: if0 modem (PPP, answers AT), if1 diagnostics, if2 PCUI.
    static func huawei(port: String = "1-1", ttys: [String] = ["ttyUSB0", "ttyUSB1", "ttyUSB2"],
                       pcui: PortBehaviour = .modem(huaweiIdentity), withRules: Bool = false) -> FakeUSBDevice {
        FakeUSBDevice(port: port, vendorID: "12d1", productID: "1506", manufacturer: "HUAWEI_MOBILE",
                      product: "HUAWEI_MOBILE", serial: nil, interfaces: [
                        FakeInterface(number: 0, tty: ttys[0], driver: "option", behaviour: .atOnly,
                                      properties: withRules ? ["SMSAGENT_PORT": "ignore"] : [:]),
                        FakeInterface(number: 1, tty: ttys[1], driver: "option", behaviour: .diagnostics,
                                      properties: withRules ? ["SMSAGENT_PORT": "ignore"] : [:]),
                        FakeInterface(number: 2, tty: ttys[2], driver: "option", behaviour: pcui,
                                      properties: withRules ? ["SMSAGENT_PORT": "at", "SMSAGENT_MODEM": "1"] : [:]),
                      ])
    }

    /// SIMCom SIM7600E-H, composition 9001: if0 diag, if1 NMEA, if2 AT, if3 AT/PPP, if4 audio.
    /// `rules`: the properties our udev rules set (AT on `atInterface`, the rest ignored).
    static func simcom(port: String = "1-2", first: Int = 3, atInterface: Int = 2, rules: Bool = false) -> FakeUSBDevice {
        let behaviours: [PortBehaviour] = [.diagnostics, .nmea, .atOnly, .atOnly, .silent]
        var interfaces: [FakeInterface] = (0..<5).map {
            FakeInterface(number: $0, tty: "ttyUSB\(first + $0)", driver: "option", behaviour: behaviours[$0])
        }
        interfaces[atInterface].behaviour = .modem(simcomIdentity)
        if rules {
            for index in interfaces.indices {
                interfaces[index].properties = index == atInterface
                    ? ["SMSAGENT_PORT": "at", "SMSAGENT_MODEM": "1", "ID_MM_DEVICE_IGNORE": "1",
                       "SMSAGENT_LINK": "/dev/smsagent/usb-SIM7600-0123456789ABCDEF-if0\(atInterface)"]
                    : ["SMSAGENT_PORT": "ignore", "SMSAGENT_MODEM": "1", "ID_MM_DEVICE_IGNORE": "1"]
            }
        }
        return FakeUSBDevice(port: port, vendorID: "1e0e", productID: "9001", manufacturer: "SimTech, Incorporated",
                             product: "SimTech, Incorporated", serial: "0123456789ABCDEF", interfaces: interfaces)
    }

    /// Quectel EC25: if0 diag, if1 NMEA, if2 AT, if3 modem. `mmPrimary` puts ModemManager's
    /// AT_PRIMARY tag (and the simulator) on another interface.
    static func quectel(port: String = "1-3", first: Int = 8, mmPrimary: Int? = nil) -> FakeUSBDevice {
        let atInterface = mmPrimary ?? 2
        var interfaces: [FakeInterface] = [
            FakeInterface(number: 0, tty: "ttyUSB\(first)", driver: "option", behaviour: .diagnostics),
            FakeInterface(number: 1, tty: "ttyUSB\(first + 1)", driver: "option", behaviour: .nmea),
            FakeInterface(number: 2, tty: "ttyUSB\(first + 2)", driver: "option", behaviour: .atOnly),
            FakeInterface(number: 3, tty: "ttyUSB\(first + 3)", driver: "option", behaviour: .atOnly),
        ]
        interfaces[atInterface].behaviour = .modem(quectelIdentity)
        if let mmPrimary {
            interfaces[mmPrimary].properties = ["ID_MM_PORT_TYPE_AT_PRIMARY": "1"]
            interfaces[0].properties = ["ID_MM_PORT_TYPE_QCDM": "1"]
            interfaces[1].properties = ["ID_MM_PORT_TYPE_GPS": "1"]
        }
        return FakeUSBDevice(port: port, vendorID: "2c7c", productID: "0125", manufacturer: "Quectel",
                             product: "EC25", serial: nil, interfaces: interfaces)
    }

    /// A generic CDC-ACM modem from a vendor the layout table does not know: two AT-protocol
    /// interfaces; the first is silent (a firmware that only opens the second), the second answers.
    static func cdcACM(port: String = "1-4") -> FakeUSBDevice {
        FakeUSBDevice(port: port, vendorID: "1d6b", productID: "1044", manufacturer: "Generic",
                      product: "LTE Modem", serial: "ACM0001", interfaces: [
                        FakeInterface(number: 0, tty: "ttyACM0", driver: "cdc_acm", interfaceClass: "02",
                                      subclass: "02", proto: "01", behaviour: .silent),
                        FakeInterface(number: 2, tty: "ttyACM1", driver: "cdc_acm", interfaceClass: "02",
                                      subclass: "02", proto: "01", behaviour: .modem(acmIdentity)),
                      ])
    }

    /// An FTDI cable wired to something that even answers AT: still never claimed.
    static func ftdi(port: String = "1-5", tty: String = "ttyUSB20") -> FakeUSBDevice {
        FakeUSBDevice(port: port, vendorID: "0403", productID: "6001", manufacturer: "FTDI", product: "FT232R USB UART",
                      serial: "A50285BI", interfaces: [
                        FakeInterface(number: 0, tty: tty, driver: "ftdi_sio", behaviour: .atOnly),
                      ])
    }

    /// A CP210x bridge (ESP32 boards, GPS receivers).
    static func cp210x(port: String = "1-6", tty: String = "ttyUSB21") -> FakeUSBDevice {
        FakeUSBDevice(port: port, vendorID: "10c4", productID: "ea60", manufacturer: "Silicon Labs",
                      product: "CP2102 USB to UART Bridge Controller", serial: "0001", interfaces: [
                        FakeInterface(number: 0, tty: tty, driver: "cp210x", behaviour: .silent),
                      ])
    }
}
