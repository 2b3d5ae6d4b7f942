/** The QR code of a provisioning URI, as a PNG data: URL for an `<img>` (no request can leak it later). */

/**
 * Renders `uri` as a PNG QR code. Error correction M survives a slightly blurred phone photo of a screen;
 * the four-module quiet zone is what the QR specification [ISO/IEC 18004 §6.3.8] asks for. qrcode is imported
 * here, on first use, so the CLI commands that reach the enrollment service without drawing a code skip it.
 */
export async function renderOtpQrDataUrl(uri: string): Promise<string> {
  const { default: QRCode } = await import('qrcode');
  return QRCode.toDataURL(uri, { errorCorrectionLevel: 'M', margin: 4, scale: 6, type: 'image/png' });
}
