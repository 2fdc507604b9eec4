; Inno Setup 6 script: the Windows installer for the onedir bundle (NOT RUN: no Windows
; machine here; see packaging/PLATFORMS.md). Build the bundle first, then:
;   py -3.11 packaging\build.py
;   "%ProgramFiles(x86)%\Inno Setup 6\ISCC.exe" /DVERSION=0.1.0 packaging\windows\facedesk.iss
; Output: dist\facedesk-VERSION-setup.exe. Per-user install by default (no admin rights),
; Start menu entry, and "Open with facedesk" for image types (OpenWithProgids: added to
; the list, never taking over the user's default viewer).

#ifndef VERSION
  #define VERSION "0.0.0"
#endif

[Setup]
AppId={{6E0F3C52-7D55-4B1B-9C4E-2F1D8A3B5C71}
AppName=facedesk
AppVersion={#VERSION}
AppPublisher=facedesk developers
DefaultDirName={autopf}\facedesk
DefaultGroupName=facedesk
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
OutputDir=..\..\dist
OutputBaseFilename=facedesk-{#VERSION}-setup
SetupIconFile=..\..\resources\app.ico
UninstallDisplayIcon={app}\facedesk.exe
Compression=lzma2/max
SolidCompression=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
ChangesAssociations=yes

[Files]
Source: "..\..\dist\facedesk\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\facedesk"; Filename: "{app}\facedesk.exe"
Name: "{group}\Uninstall facedesk"; Filename: "{uninstallexe}"

[Registry]
; ProgId: how Explorer runs facedesk on a file ("%1": the app indexes the paths it is given)
Root: HKA; Subkey: "Software\Classes\facedesk.Image"; ValueType: string; ValueData: "Photo (facedesk)"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\facedesk.Image\DefaultIcon"; ValueType: string; ValueData: "{app}\facedesk.exe,0"
Root: HKA; Subkey: "Software\Classes\facedesk.Image\shell\open\command"; ValueType: string; ValueData: """{app}\facedesk.exe"" ""%1"""
Root: HKA; Subkey: "Software\Classes\.jpg\OpenWithProgids"; ValueType: string; ValueName: "facedesk.Image"; ValueData: ""; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\.jpeg\OpenWithProgids"; ValueType: string; ValueName: "facedesk.Image"; ValueData: ""; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\.png\OpenWithProgids"; ValueType: string; ValueName: "facedesk.Image"; ValueData: ""; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\.webp\OpenWithProgids"; ValueType: string; ValueName: "facedesk.Image"; ValueData: ""; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\.tif\OpenWithProgids"; ValueType: string; ValueName: "facedesk.Image"; ValueData: ""; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\.tiff\OpenWithProgids"; ValueType: string; ValueName: "facedesk.Image"; ValueData: ""; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\.bmp\OpenWithProgids"; ValueType: string; ValueName: "facedesk.Image"; ValueData: ""; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\.gif\OpenWithProgids"; ValueType: string; ValueName: "facedesk.Image"; ValueData: ""; Flags: uninsdeletevalue

[Run]
Filename: "{app}\facedesk.exe"; Parameters: "--self-test --output ""{tmp}\facedesk-selftest.json"""; Flags: runhidden; StatusMsg: "Checking the installation..."
Filename: "{app}\facedesk.exe"; Description: "Start facedesk"; Flags: nowait postinstall skipifsilent
