const COLOR_NAMES: Record<string, string> = {
  ff0000: 'red',
  '00ff00': 'green',
  '0000ff': 'blue',
  ffff00: 'yellow',
  ffffff: 'white',
  ff00ff: 'magenta',
  '00ffff': 'cyan',
  ffa500: 'orange',
  '800080': 'purple',
  '000000': 'black',
};

/** `ff0000` → `red`; colours without a common name stay as `#hex`. */
export function colorName(hex: unknown): string {
  const key = String(hex).replace(/^#/, '').toLowerCase();
  return COLOR_NAMES[key] ?? `#${key}`;
}

/**
 * What a person would see for a `set_led` request: `LED ring flashing red`, `LED 3 solid green`,
 * `LEDs off`.
 *
 * @example
 * describeLed('flash', { count: -1, colors: { ring: 'ff0000' } }) // 'LED ring flashing red'
 */
export function describeLed(effect: unknown, args: unknown): string {
  const colors =
    (typeof args === 'object' && args !== null ? (args as { colors?: Record<string, unknown> }).colors : undefined) ??
    {};
  const leds = Object.entries(colors).map(([led, color]) => ({
    led: led === 'ring' ? 'LED ring' : `LED ${led}`,
    color: colorName(color),
  }));
  const each = (verb: string) =>
    leds.length > 0 ? leds.map(({ led, color }) => `${led} ${verb} ${color}`).join(', ') : `LED ring ${verb}`;
  switch (effect) {
    case 'off':
      return 'LEDs off';
    case 'static':
      return each('solid');
    case 'flash':
      return each('flashing');
    case 'breathe':
      return each('breathing');
    case 'rotate':
      return `LED ring rotating ${leds.map(({ color }) => color).join('/') || 'white'}`;
    case 'rainbow':
      return 'LED ring rainbow';
    default:
      return `LED effect ${String(effect)}`;
  }
}
