/**
 * INSTALL-ROOT.txt: how to make Windows, macOS, Linux (system store and NSS) and Adobe Reader trust the
 * internal CA's root, in English and Russian. Signatures from the internal CA verify everywhere, but show
 * as "trusted" only where this root is installed as a trust anchor.
 */

/** What the instructions name: the root's subject, its SHA-256 fingerprint and the exported file names. */
export interface RootInstallFacts {
  subject: string;
  /** SHA-256 fingerprint, colon-separated upper-case hex. */
  fingerprint: string;
  pemFile: string;
  derFile: string;
}

/** The text of INSTALL-ROOT.txt. */
export function rootInstallInstructions(f: RootInstallFacts): string {
  return `${english(f)}\n${'='.repeat(78)}\n\n${russian(f)}`;
}

function english(f: RootInstallFacts): string {
  return `SignService internal CA: installing the root certificate as a trusted root
Root: ${f.subject}
SHA-256 fingerprint: ${f.fingerprint}
Compare the fingerprint with the one shown in the SignService control panel before you trust the file.

Windows (run as administrator; for the current user only, add -user):
  certutil -addstore -f Root ${f.derFile}
  Or: mmc -> File -> Add/Remove Snap-in -> Certificates (Computer account) -> Trusted Root Certification
  Authorities -> Certificates -> All Tasks -> Import -> ${f.derFile}.

macOS:
  sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain ${f.pemFile}
  Or: open ${f.pemFile} in Keychain Access (System keychain), double-click the certificate -> Trust ->
  "When using this certificate: Always Trust".

Linux (system store, Debian/Ubuntu):
  sudo cp ${f.pemFile} /usr/local/share/ca-certificates/signservice-root.crt && sudo update-ca-certificates
  Fedora/RHEL: sudo cp ${f.pemFile} /etc/pki/ca-trust/source/anchors/ && sudo update-ca-trust
Linux (NSS: Firefox, Chromium, Evince/Okular/poppler):
  certutil -d sql:$HOME/.pki/nssdb -A -t "CT,C,C" -n "SignService root" -i ${f.pemFile}

Adobe Acrobat Reader (it keeps its own trust list):
  Edit -> Preferences -> Signatures -> Identities & Trusted Certificates -> More... -> Trusted
  Certificates -> Import -> choose ${f.pemFile} -> Import. Select the certificate -> Edit Trust -> tick
  "Use this certificate as a trusted root" and "Signed documents or data" (and "Certified documents")
  -> OK. Reopen the PDF or click "Validate all signatures".
`;
}

function russian(f: RootInstallFacts): string {
  return `Внутренний УЦ SignService: установка корневого сертификата как доверенного
Корневой сертификат: ${f.subject}
Отпечаток SHA-256: ${f.fingerprint}
Перед установкой сверьте отпечаток с показанным в панели управления SignService.

Windows (от имени администратора; только для текущего пользователя добавьте -user):
  certutil -addstore -f Root ${f.derFile}
  Или: mmc -> Файл -> Добавить или удалить оснастку -> Сертификаты (учётной записи компьютера) ->
  Доверенные корневые центры сертификации -> Сертификаты -> Все задачи -> Импорт -> ${f.derFile}.

macOS:
  sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain ${f.pemFile}
  Или: откройте ${f.pemFile} в «Связке ключей» (связка «Система»), дважды щёлкните сертификат ->
  Доверие -> «При использовании этого сертификата: Всегда доверять».

Linux (системное хранилище, Debian/Ubuntu):
  sudo cp ${f.pemFile} /usr/local/share/ca-certificates/signservice-root.crt && sudo update-ca-certificates
  Fedora/RHEL: sudo cp ${f.pemFile} /etc/pki/ca-trust/source/anchors/ && sudo update-ca-trust
Linux (NSS: Firefox, Chromium, Evince/Okular/poppler):
  certutil -d sql:$HOME/.pki/nssdb -A -t "CT,C,C" -n "SignService root" -i ${f.pemFile}

Adobe Acrobat Reader (у него свой список доверенных сертификатов):
  Редактирование -> Установки -> Подписи -> Идентификация и доверенные сертификаты -> Подробнее... ->
  Доверенные сертификаты -> Импорт -> выберите ${f.pemFile} -> Импорт. Выделите сертификат ->
  Изменить доверие -> отметьте «Использовать этот сертификат как доверенный корневой» и «Подписанные
  документы или данные» (и «Сертифицированные документы») -> OK. Откройте PDF заново или нажмите
  «Проверить все подписи».
`;
}
