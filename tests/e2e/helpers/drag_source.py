#!/usr/bin/python3
"""A drag source for the end-to-end tests: a small GTK window whose button offers one
file as a URI, as a file manager would. The test drags the button onto the app with
xdotool. Prints "ready" once shown and "dropped" when the drag ends.

Usage: drag_source.py FILE X Y   (needs python3-gi and gir1.2-gtk-3.0)
"""
import sys

import gi

gi.require_version("Gtk", "3.0")
gi.require_version("Gdk", "3.0")
from gi.repository import Gdk, GLib, Gtk  # noqa: E402

path, x, y = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
window = Gtk.Window(title="sparkdeck-drag-source")
window.set_default_size(120, 60)
window.move(x, y)
button = Gtk.Button(label="drag me")
button.drag_source_set(Gdk.ModifierType.BUTTON1_MASK, [], Gdk.DragAction.COPY)
button.drag_source_add_uri_targets()
button.connect("drag-data-get", lambda _w, _ctx, data, _info, _time: data.set_uris([GLib.filename_to_uri(path)]))


def ended(*_args):
    print("dropped", flush=True)
    Gtk.main_quit()


button.connect("drag-end", ended)
window.connect("destroy", Gtk.main_quit)
window.add(button)
window.show_all()
GLib.timeout_add(300, lambda: print("ready", flush=True) and False)
Gtk.main()
