extension VendorLayoutTable {
    public static let builtIn = VendorLayoutTable(
        layouts: [
            // Huawei sticks in serial mode (E1550/E173/E3131/E3372 "stick" firmware): if0 is the
            // PPP modem port, if1 diagnostics on some models, if2 the PCUI (AT/control) port.
            VendorLayout(name: "Huawei E1550/E173/E3372", vendorID: "12d1",
                         productIDs: ["1001", "1003", "1436", "1506", "14ac", "1c05", "1465"],
                         interfaces: [0: .modem, 1: .diagnostics, 2: .at]),
            VendorLayout(name: "Huawei (vendor default)", vendorID: "12d1", productIDs: nil,
                         interfaces: [0: .modem, 2: .at]),
            // ZTE MF-series (option driver): if1 diagnostics, if2 AT, if3 modem.
            VendorLayout(name: "ZTE MF190/MF626/MF667", vendorID: "19d2",
                         productIDs: ["0031", "0117", "0016", "0017", "2003"],
                         interfaces: [0: .diagnostics, 1: .atSecondary, 2: .at, 3: .modem]),
            VendorLayout(name: "ZTE (vendor default)", vendorID: "19d2", productIDs: nil, interfaces: [:]),
            // SIMCom SIM7500/SIM7600 composition 9001: if0 diag, if1 NMEA, if2 AT, if3 AT/PPP
            // modem, if4 audio, if5 network.
            VendorLayout(name: "SIMCom SIM7600", vendorID: "1e0e", productIDs: ["9001", "9011"],
                         interfaces: [0: .diagnostics, 1: .nmea, 2: .at, 3: .modem, 4: .audio]),
            VendorLayout(name: "SIMCom (vendor default)", vendorID: "1e0e", productIDs: nil, interfaces: [:]),
            // Quectel Qualcomm modules (EC25, EC21, EG25-G, EG95, BG96, EP06, UC20): if0 diag,
            // if1 NMEA, if2 AT, if3 AT/PPP modem, if4 QMI network.
            VendorLayout(name: "Quectel EC25/EC21/EG95/BG96", vendorID: "2c7c",
                         productIDs: ["0125", "0121", "0195", "0296", "0306", "0191"],
                         interfaces: [0: .diagnostics, 1: .nmea, 2: .at, 3: .modem]),
            VendorLayout(name: "Quectel UC20", vendorID: "05c6", productIDs: ["9003"],
                         interfaces: [0: .diagnostics, 1: .nmea, 2: .at, 3: .modem]),
            VendorLayout(name: "Quectel (vendor default)", vendorID: "2c7c", productIDs: nil, interfaces: [:]),
            // Sierra Wireless MC/EM modules on qcserial: if0 DM, if2 NMEA, if3 AT.
            VendorLayout(name: "Sierra Wireless MC73xx/MC74xx/EM75xx", vendorID: "1199",
                         productIDs: ["68c0", "9071", "9079", "9091", "9041"],
                         interfaces: [0: .diagnostics, 2: .nmea, 3: .at]),
            VendorLayout(name: "Sierra Wireless (vendor default)", vendorID: "1199", productIDs: nil, interfaces: [:]),
            // Telit LE910Cx: if0 diag, if4 AT primary, if5 AT secondary.
            VendorLayout(name: "Telit LE910Cx", vendorID: "1bc7", productIDs: ["1201", "1203", "1204"],
                         interfaces: [0: .diagnostics, 4: .at, 5: .atSecondary]),
            VendorLayout(name: "Telit (vendor default)", vendorID: "1bc7", productIDs: nil, interfaces: [:]),
            // u-blox cellular modules enumerate cdc_acm ports; the first one is the AT port.
            VendorLayout(name: "u-blox (cdc_acm)", vendorID: "1546", productIDs: nil, interfaces: [0: .at]),
            VendorLayout(name: "Fibocom (vendor default)", vendorID: "2cb7", productIDs: nil, interfaces: [:]),
            VendorLayout(name: "Fibocom L610", vendorID: "1782", productIDs: ["4d10", "4d11"], interfaces: [:]),
        ],
        adapters: [
            SerialAdapter(name: "FTDI USB-serial converter", vendorID: "0403", productIDs: nil),
            SerialAdapter(name: "Silicon Labs CP210x USB-serial converter", vendorID: "10c4",
                          productIDs: ["ea60", "ea61", "ea63", "ea70", "ea71", "ea80"]),
            SerialAdapter(name: "Prolific PL2303 USB-serial converter", vendorID: "067b",
                          productIDs: ["2303", "23a3", "23b3", "23c3", "23d3", "23e3", "23f3"]),
            SerialAdapter(name: "WCH CH340/CH341/CH9102 USB-serial converter", vendorID: "1a86",
                          productIDs: ["7523", "5523", "7522", "55d4", "55d3"]),
        ],
        adapterDrivers: ["ftdi_sio", "cp210x", "pl2303", "ch341", "ch343", "ark3116", "mos7840", "ti_usb_3410_5052"]
    )
}
