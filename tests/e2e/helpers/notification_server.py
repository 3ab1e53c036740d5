#!/usr/bin/python3
"""A desktop notification server for the end-to-end tests: owns
org.freedesktop.Notifications on the session bus the app uses and appends each
notification's summary and body, one JSON object a line, to RECORD. Prints "ready" once
the name is owned.

Usage: notification_server.py RECORD   (needs python3-gi)
"""
import json
import sys

import gi

gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib  # noqa: E402

INTERFACE = """
<node>
  <interface name="org.freedesktop.Notifications">
    <method name="Notify">
      <arg type="s" direction="in"/><arg type="u" direction="in"/><arg type="s" direction="in"/>
      <arg type="s" direction="in"/><arg type="s" direction="in"/><arg type="as" direction="in"/>
      <arg type="a{sv}" direction="in"/><arg type="i" direction="in"/><arg type="u" direction="out"/>
    </method>
    <method name="CloseNotification"><arg type="u" direction="in"/></method>
    <method name="GetCapabilities"><arg type="as" direction="out"/></method>
    <method name="GetServerInformation">
      <arg type="s" direction="out"/><arg type="s" direction="out"/>
      <arg type="s" direction="out"/><arg type="s" direction="out"/>
    </method>
    <signal name="NotificationClosed"><arg type="u"/><arg type="u"/></signal>
    <signal name="ActionInvoked"><arg type="u"/><arg type="s"/></signal>
  </interface>
</node>
"""
record = sys.argv[1]
counter = 0


def on_call(connection, sender, path, interface, method, params, invocation):
    global counter
    if method == "Notify":
        app, _replaces, _icon, summary, body = params.unpack()[:5]
        with open(record, "a") as out:
            out.write(json.dumps({"app": app, "summary": summary, "body": body}) + "\n")
        counter += 1
        invocation.return_value(GLib.Variant("(u)", (counter,)))
    elif method == "GetCapabilities":
        invocation.return_value(GLib.Variant("(as)", (["body", "actions"],)))
    elif method == "GetServerInformation":
        invocation.return_value(GLib.Variant("(ssss)", ("sparkdeck-e2e", "sparkdeck", "1", "1.2")))
    else:
        invocation.return_value(None)


def on_bus(connection, name):
    node = Gio.DBusNodeInfo.new_for_xml(INTERFACE)
    connection.register_object("/org/freedesktop/Notifications", node.interfaces[0], on_call)


def on_name(connection, name):
    print("ready", flush=True)


Gio.bus_own_name(Gio.BusType.SESSION, "org.freedesktop.Notifications", Gio.BusNameOwnerFlags.NONE, on_bus, on_name, lambda *a: sys.exit("name lost"))
GLib.MainLoop().run()
